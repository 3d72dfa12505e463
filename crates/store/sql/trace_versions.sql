-- The hazard versions whose extent holds the point (?1 longitude, ?2
-- latitude), through the versions' spatial index (`sg_version_extents`);
-- the caller tests each polygon.
SELECT v.geom, v.version, v.report_id, h.code, r.type, r.state, o.acronym, r.decided_at, v.status
FROM hazard_versions v
JOIN hazards h ON h.id = v.hazard_id
JOIN reports r ON r.id = v.report_id
JOIN organisations o ON o.id = r.organisation_id
WHERE v.fid IN (SELECT id FROM sg_version_extents WHERE minx <= ?1 AND maxx >= ?1 AND miny <= ?2 AND maxy >= ?2)
ORDER BY v.valid_from, v.fid
