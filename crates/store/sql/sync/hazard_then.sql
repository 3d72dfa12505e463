-- A hazard as the register had it after event ?2 (a field copy's origin), from
-- its own versions: the newest whose event came no later (a version older than
-- the sealed history has none). ?1: its id.
SELECT v.hazard_id, h.code, v.version, v.status, v.area_remaining_m2,
  v.area_cancelled_m2 + v.area_reduced_m2 + v.area_cleared_m2, substr(v.valid_from, 1, 10)
FROM hazard_versions v JOIN hazards h ON h.id = v.hazard_id LEFT JOIN events e ON e.id = v.event_id
WHERE v.hazard_id = ?1 AND (e.seq IS NULL OR e.seq <= ?2)
ORDER BY coalesce(e.seq, 0) DESC, v.version DESC LIMIT 1
