-- Released ground in force whose box holds the point (longitude ?1,
-- latitude ?2), released before the point's day (?3: only that ground can
-- make it residual), through the R-tree, with its hazard's code.
SELECT a.id, a.hazard_id, h.code, a.organisation_id, a.outcome, a.released_on, a.geom
FROM rtree_released_areas_geom r
JOIN released_areas a ON a.fid = r.id
JOIN hazards h ON h.id = a.hazard_id
WHERE r.minx <= ?1 AND r.maxx >= ?1 AND r.miny <= ?2 AND r.maxy >= ?2 AND a.revoked_at IS NULL
  AND a.released_on < ?3
ORDER BY a.released_on, a.id
