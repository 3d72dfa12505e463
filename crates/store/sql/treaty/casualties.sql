-- Victims of the accidents the register recorded in the year (from ?2, the
-- end of the year before, to ?1, the end of the year) and still held at its
-- end: outcome, sex, age, whether assistance is recorded (as the report
-- gave it, or a follow-up recorded by the year's end), the device, the
-- disability (NULL where not recorded).
SELECT v.outcome, v.sex, v.age,
       CASE WHEN coalesce(v.assistance, '') <> ''
              OR EXISTS (SELECT 1 FROM assistance f WHERE f.victim_id = v.id AND f.recorded_at < ?1)
            THEN 1 ELSE 0 END,
       a.device_category, v.disability
FROM victims v
JOIN accidents a ON a.id = v.accident_id
WHERE coalesce(a.recorded_at, '') >= ?2 AND coalesce(a.recorded_at, '') < ?1
  AND (a.revoked_at IS NULL OR a.revoked_at >= ?1)
ORDER BY v.id
