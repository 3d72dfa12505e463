-- The country's outline, if it meets the box west ?1, south ?2, east ?3, north ?4.
SELECT c.fid, c.geom, c.name
FROM rtree_country_geom r
JOIN country c ON c.fid = r.id
WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2
ORDER BY +c.fid  -- `+`: sorted after the R-tree search, never a scan in key order
