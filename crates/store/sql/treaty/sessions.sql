-- Risk education sessions held from ?2 to ?3 (dates, inclusive) and
-- recorded before ?1: district, people reached.
SELECT d.name, s.girls, s.boys, s.women, s.men
FROM eore_sessions s
LEFT JOIN districts d ON d.id = s.district_id
WHERE s.held_on >= ?2 AND s.held_on <= ?3
  AND coalesce(s.recorded_at, '') < ?1 AND (s.revoked_at IS NULL OR s.revoked_at >= ?1)
