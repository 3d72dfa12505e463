-- trace_released.sql for PostgreSQL: the released areas' GiST index on `shape`.
SELECT a.geom, a.outcome, a.revoked_at, a.report_id, h.code, r.type, r.state, o.acronym, r.decided_at, a.revoked_by
FROM released_areas a
JOIN hazards h ON h.id = a.hazard_id
JOIN reports r ON r.id = a.report_id
JOIN organisations o ON o.id = r.organisation_id
WHERE a.shape && ST_SetSRID(ST_MakePoint(CAST(?1 AS DOUBLE PRECISION), CAST(?2 AS DOUBLE PRECISION)), 4326)
ORDER BY a.recorded_at, a.fid
