-- Districts meeting the box west ?1, south ?2, east ?3, north ?4.
SELECT d.fid, d.geom, d.id, d.name, d.alt_name
FROM rtree_districts_geom r
JOIN districts d ON d.fid = r.id
WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2
ORDER BY +d.fid  -- `+`: sorted after the R-tree search, never a scan in key order
