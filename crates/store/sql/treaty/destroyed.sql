-- EO of category ?2 the register recorded in the year (from ?3, the end of
-- the year before, to ?1, the end of the year: exclusive UTC bounds) and
-- still held at its end: type, quantity, disposal. Counted in the year it
-- was recorded, as land released is, so none is lost or counted twice when
-- an item found in December is approved in January.
SELECT f.eo_type, f.quantity, f.disposal
FROM eo_finds f
WHERE f.category = ?2
  AND coalesce(f.recorded_at, '') >= ?3 AND coalesce(f.recorded_at, '') < ?1
  AND (f.revoked_at IS NULL OR f.revoked_at >= ?1)
ORDER BY f.eo_type, f.id
