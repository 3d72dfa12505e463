-- Settlements in the box west ?1, south ?2, east ?3, north ?4, the most populous first.
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT s.fid, s.geom, s.id, s.name, s.population
FROM settlements s
WHERE s.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326)
ORDER BY coalesce(s.population, 0) DESC, s.fid
