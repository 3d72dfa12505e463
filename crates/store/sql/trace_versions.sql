-- The hazard versions whose polygon may contain the point (?1 longitude, ?2
-- latitude): those of hazards whose current extent holds it (through the
-- spatial index), and every version drawn otherwise than its hazard is now
-- (a re-survey moved the boundary; compared as stored, no polygon decoded).
-- The caller tests each polygon.
SELECT v.geom, v.version, v.report_id, h.code, r.type, r.state, o.acronym, r.decided_at, v.status
FROM hazard_versions v
JOIN hazards h ON h.id = v.hazard_id
JOIN reports r ON r.id = v.report_id
JOIN organisations o ON o.id = r.organisation_id
WHERE h.fid IN (SELECT id FROM rtree_hazards_geom WHERE minx <= ?1 AND maxx >= ?1 AND miny <= ?2 AND maxy >= ?2)
   OR v.geom <> h.geom
ORDER BY v.valid_from, v.fid
