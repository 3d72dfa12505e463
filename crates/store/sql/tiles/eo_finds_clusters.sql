-- EO finds in force in the box west ?1, south ?2, east ?3, north ?4, with only
-- what clusters need (below zoom 14): their place comes from the spatial index.
SELECT e.fid, r.minx, r.miny, e.category, e.quantity
FROM rtree_eo_finds_geom r
JOIN eo_finds e ON e.fid = r.id
WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2 AND e.revoked_at IS NULL
ORDER BY +e.fid  -- `+`: sorted after the R-tree search, never a scan in key order
