-- People reached by risk education, by district, as recorded at ?1.
SELECT coalesce(d.name, '(no district)'), sum(s.girls), sum(s.boys), sum(s.women), sum(s.men)
FROM eore_sessions s
LEFT JOIN districts d ON d.id = s.district_id
WHERE coalesce(s.recorded_at, '') < ?1 AND (s.revoked_at IS NULL OR s.revoked_at >= ?1)
GROUP BY 1
