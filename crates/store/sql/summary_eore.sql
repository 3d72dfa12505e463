-- People reached by risk education, by district.
SELECT coalesce(d.name, '(no district)'), sum(s.girls), sum(s.boys), sum(s.women), sum(s.men)
FROM eore_sessions s
LEFT JOIN districts d ON d.id = s.district_id
GROUP BY 1
