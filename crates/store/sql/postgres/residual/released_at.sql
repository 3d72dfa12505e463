-- Released ground in force whose box holds the point (longitude ?1,
-- latitude ?2), released before the point's day (?3): PostGIS's GiST index
-- on `shape` instead of the R-tree.
SELECT a.id, a.hazard_id, h.code, a.organisation_id, a.outcome, a.released_on, a.geom
FROM released_areas a
JOIN hazards h ON h.id = a.hazard_id
WHERE a.shape && ST_SetSRID(ST_MakePoint(?1, ?2), 4326) AND a.revoked_at IS NULL
  AND a.released_on < ?3
ORDER BY a.released_on, a.id
