-- Residual contamination in force in the box west ?1, south ?2, east ?3, north ?4.
SELECT r.fid, r.geom, r.id, CASE WHEN r.eo_find_id IS NOT NULL THEN 'EO_FIND' ELSE 'ACCIDENT' END AS kind,
  r.found_on, h.code, r.released_on, t.code AS task, t.status AS task_status
FROM rtree_residuals_geom x
JOIN residuals r ON r.fid = x.id
JOIN hazards h ON h.id = r.hazard_id
JOIN tasks t ON t.id = r.task_id
WHERE x.minx <= ?3 AND x.maxx >= ?1 AND x.miny <= ?4 AND x.maxy >= ?2 AND r.revoked_at IS NULL
ORDER BY +r.fid
