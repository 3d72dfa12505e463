-- Hazards meeting the box west ?1, south ?2, east ?3, north ?4 (through the GiST index on shape).
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT h.fid, h.geom, h.id, h.code, h.name, h.status, h.kind, h.contamination, h.area_remaining_m2
FROM hazards h
WHERE h.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326) AND h.revoked_at IS NULL
ORDER BY h.fid
