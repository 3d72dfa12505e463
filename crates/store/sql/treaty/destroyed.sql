-- EO of category ?2 found from ?3 to ?4 (dates, inclusive) and recorded
-- before ?1: type, quantity, disposal.
SELECT f.eo_type, f.quantity, f.disposal
FROM eo_finds f
WHERE f.category = ?2 AND f.found_on >= ?3 AND f.found_on <= ?4
  AND coalesce(f.recorded_at, '') < ?1 AND (f.revoked_at IS NULL OR f.revoked_at >= ?1)
ORDER BY f.eo_type
