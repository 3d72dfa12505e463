-- Released ground in force, meeting the box west ?1, south ?2, east ?3, north ?4.
SELECT a.fid, a.geom, a.id, h.code, a.outcome, a.released_on, a.area_m2
FROM rtree_released_areas_geom r
JOIN released_areas a ON a.fid = r.id
JOIN hazards h ON h.id = a.hazard_id
WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2 AND a.revoked_at IS NULL
ORDER BY +a.fid  -- `+`: sorted after the R-tree search, never a scan in key order
