-- EO finds in force in the box west ?1, south ?2, east ?3, north ?4.
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT e.fid, e.geom, e.id, e.category, e.eo_type, e.quantity, e.found_on
FROM eo_finds e
WHERE e.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326) AND e.revoked_at IS NULL
ORDER BY e.fid
