-- Activities that found EO, recorded before ?1.
SELECT DISTINCT f.activity_id
FROM eo_finds f
WHERE f.activity_id IS NOT NULL
  AND coalesce(f.recorded_at, '') < ?1 AND (f.revoked_at IS NULL OR f.revoked_at >= ?1)
