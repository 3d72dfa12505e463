-- Released ground in force, meeting the box west ?1, south ?2, east ?3, north ?4.
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT a.fid, a.geom, a.id, h.code, a.outcome, a.released_on, a.area_m2
FROM released_areas a
JOIN hazards h ON h.id = a.hazard_id
WHERE a.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326) AND a.revoked_at IS NULL
ORDER BY a.fid
