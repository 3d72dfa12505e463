-- The country's outline, if it meets the box west ?1, south ?2, east ?3, north ?4.
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT c.fid, c.geom, c.name
FROM country c
WHERE c.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326)
ORDER BY c.fid
