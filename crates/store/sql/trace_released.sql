-- Released ground whose extent holds the point (?1 longitude, ?2 latitude),
-- through the spatial index; the caller tests each polygon.
SELECT a.geom, a.outcome, a.revoked_at, a.report_id, h.code, r.type, r.state, o.acronym, r.decided_at, a.revoked_by
FROM released_areas a
JOIN hazards h ON h.id = a.hazard_id
JOIN reports r ON r.id = a.report_id
JOIN organisations o ON o.id = r.organisation_id
WHERE a.fid IN (SELECT id FROM rtree_released_areas_geom WHERE minx <= ?1 AND maxx >= ?1 AND miny <= ?2 AND maxy >= ?2)
ORDER BY a.recorded_at, a.fid
