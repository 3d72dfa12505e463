-- Victims by district, year and outcome.
SELECT coalesce(d.name, '(no district)'), CAST(substr(a.occurred_on, 1, 4) AS INTEGER), v.outcome, count(*)
FROM victims v
JOIN accidents a ON a.id = v.accident_id
LEFT JOIN districts d ON d.id = a.district_id
GROUP BY 1, 2, 3
