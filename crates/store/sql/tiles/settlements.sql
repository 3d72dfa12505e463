-- Settlements in the box west ?1, south ?2, east ?3, north ?4, the most populous first.
SELECT s.fid, s.geom, s.id, s.name, s.population
FROM rtree_settlements_geom r
JOIN settlements s ON s.fid = r.id
WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2
ORDER BY coalesce(s.population, 0) DESC, +s.fid  -- `+`: sorted after the R-tree search, never a scan in key order
