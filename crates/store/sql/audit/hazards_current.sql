-- Each hazard in force must be its newest version, as its last approval sealed it.
SELECT 'hazard ' || h.code || CASE WHEN v.fid IS NULL THEN ' has no version in the history'
  ELSE ' differs from its version ' || v.version || ' in the history (' ||
    CASE WHEN v.geom IS DISTINCT FROM h.geom THEN 'geometry'
         WHEN v.status IS DISTINCT FROM h.status OR v.kind IS DISTINCT FROM h.kind THEN 'status or kind'
         WHEN v.version IS DISTINCT FROM h.version THEN 'version number'
         ELSE 'land-release figures' END || ')' END
FROM hazards h
LEFT JOIN hazard_versions v ON v.hazard_id = h.id AND v.valid_to IS NULL
WHERE h.revoked_at IS NULL
  AND (v.fid IS NULL OR v.geom IS DISTINCT FROM h.geom OR v.kind IS DISTINCT FROM h.kind OR v.status IS DISTINCT FROM h.status
    OR v.version IS DISTINCT FROM h.version
    OR v.area_recorded_m2 IS DISTINCT FROM h.area_recorded_m2 OR v.area_cancelled_m2 IS DISTINCT FROM h.area_cancelled_m2
    OR v.area_reduced_m2 IS DISTINCT FROM h.area_reduced_m2 OR v.area_cleared_m2 IS DISTINCT FROM h.area_cleared_m2
    OR v.area_remaining_m2 IS DISTINCT FROM h.area_remaining_m2)
LIMIT 50
