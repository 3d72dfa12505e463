-- Risk education sessions the register recorded in the year (from ?2, the
-- end of the year before, to ?1, the end of the year) and still held at its
-- end: district, people reached, and those of them with a disability
-- (NULL where not counted).
SELECT d.name, s.girls, s.boys, s.women, s.men, s.girls_disabled, s.boys_disabled, s.women_disabled,
       s.men_disabled
FROM eore_sessions s
LEFT JOIN districts d ON d.id = s.district_id
WHERE coalesce(s.recorded_at, '') >= ?2 AND coalesce(s.recorded_at, '') < ?1
  AND (s.revoked_at IS NULL OR s.revoked_at >= ?1)
ORDER BY s.id
