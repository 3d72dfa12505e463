-- Districts meeting the box west ?1, south ?2, east ?3, north ?4.
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT d.fid, d.geom, d.id, d.name, d.alt_name
FROM districts d
WHERE d.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326)
ORDER BY d.fid
