-- EO of category ?2 found on each hazard and recorded before ?1 (the types
-- and quantities "known" in an area): hazard code, type, quantity.
SELECT h.code, f.eo_type, sum(f.quantity)
FROM eo_finds f
JOIN hazards h ON h.id = f.hazard_id
WHERE f.category = ?2
  AND coalesce(f.recorded_at, '') < ?1 AND (f.revoked_at IS NULL OR f.revoked_at >= ?1)
GROUP BY h.code, f.eo_type
