-- Victims of the accidents the register recorded in the year (from ?2, the
-- end of the year before, to ?1, the end of the year) and still held at its
-- end: outcome, sex, age, whether assistance is recorded, the device.
SELECT v.outcome, v.sex, v.age, CASE WHEN coalesce(v.assistance, '') <> '' THEN 1 ELSE 0 END, a.device_category
FROM victims v
JOIN accidents a ON a.id = v.accident_id
WHERE coalesce(a.recorded_at, '') >= ?2 AND coalesce(a.recorded_at, '') < ?1
  AND (a.revoked_at IS NULL OR a.revoked_at >= ?1)
ORDER BY v.id
