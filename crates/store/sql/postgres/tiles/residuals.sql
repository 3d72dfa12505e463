-- Residual contamination in force in the box west ?1, south ?2, east ?3, north ?4.
-- PostgreSQL/PostGIS: the GiST index on `shape` instead of the GeoPackage R-tree.
SELECT r.fid, r.geom, r.id, CASE WHEN r.eo_find_id IS NOT NULL THEN 'EO_FIND' ELSE 'ACCIDENT' END AS kind,
  r.found_on, h.code, r.released_on, t.code AS task, t.status AS task_status
FROM residuals r
JOIN hazards h ON h.id = r.hazard_id
JOIN tasks t ON t.id = r.task_id
WHERE r.shape && ST_MakeEnvelope(?1, ?2, ?3, ?4, 4326) AND r.revoked_at IS NULL
ORDER BY r.fid
