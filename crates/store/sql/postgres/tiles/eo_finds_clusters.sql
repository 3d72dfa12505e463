-- EO finds in force in the box west ?1, south ?2, east ?3, north ?4, with only
-- what clusters need (below zoom 14): their place from the PostGIS point.
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT e.fid, ST_X(e.shape), ST_Y(e.shape), e.category, e.quantity
FROM eo_finds e
WHERE e.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326) AND e.revoked_at IS NULL
ORDER BY e.fid
