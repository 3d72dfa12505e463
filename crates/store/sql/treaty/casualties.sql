-- Victims of accidents from ?2 to ?3 (dates, inclusive) recorded before ?1:
-- outcome, sex, age, whether assistance is recorded, the device.
SELECT v.outcome, v.sex, v.age, CASE WHEN coalesce(v.assistance, '') <> '' THEN 1 ELSE 0 END, a.device_category
FROM victims v
JOIN accidents a ON a.id = v.accident_id
WHERE a.occurred_on >= ?2 AND a.occurred_on <= ?3
  AND coalesce(a.recorded_at, '') < ?1 AND (a.revoked_at IS NULL OR a.revoked_at >= ?1)
