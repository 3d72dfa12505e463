-- Victims by district, year and outcome, as recorded at ?1.
SELECT coalesce(d.name, '(no district)'), CAST(substr(a.occurred_on, 1, 4) AS INTEGER), v.outcome, count(*)
FROM victims v
JOIN accidents a ON a.id = v.accident_id
LEFT JOIN districts d ON d.id = a.district_id
WHERE coalesce(a.recorded_at, '') < ?1 AND (a.revoked_at IS NULL OR a.revoked_at >= ?1)
GROUP BY 1, 2, 3
