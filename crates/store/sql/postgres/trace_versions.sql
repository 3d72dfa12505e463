-- trace_versions.sql for PostgreSQL: the versions' GiST index on `shape`.
SELECT v.geom, v.version, v.report_id, h.code, r.type, r.state, o.acronym, r.decided_at, v.status
FROM hazard_versions v
JOIN hazards h ON h.id = v.hazard_id
JOIN reports r ON r.id = v.report_id
JOIN organisations o ON o.id = r.organisation_id
WHERE v.shape && ST_SetSRID(ST_MakePoint(CAST(?1 AS DOUBLE PRECISION), CAST(?2 AS DOUBLE PRECISION)), 4326)
ORDER BY v.valid_from, v.fid
