-- EO finds in force in the box west ?1, south ?2, east ?3, north ?4.
SELECT e.fid, e.geom, e.id, e.category, e.eo_type, e.quantity, e.found_on
FROM rtree_eo_finds_geom r
JOIN eo_finds e ON e.fid = r.id
WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2 AND e.revoked_at IS NULL
ORDER BY +e.fid  -- `+`: sorted after the R-tree search, never a scan in key order
