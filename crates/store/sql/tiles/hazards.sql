-- Hazards meeting the box west ?1, south ?2, east ?3, north ?4 (through the spatial index).
SELECT h.fid, h.geom, h.id, h.code, h.name, h.status, h.kind, h.contamination, h.area_remaining_m2
FROM rtree_hazards_geom r
JOIN hazards h ON h.fid = r.id
WHERE r.minx <= ?3 AND r.maxx >= ?1 AND r.miny <= ?4 AND r.maxy >= ?2 AND h.revoked_at IS NULL
ORDER BY +h.fid  -- `+`: sorted after the R-tree search, never a scan in key order
