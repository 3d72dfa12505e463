-- One row per hazard as the register stands: the hazards table always equals
-- each hazard's open version (see summary_hazards.sql for a past date).
SELECT d.name, h.status,
       h.area_recorded_m2, h.area_cancelled_m2, h.area_reduced_m2, h.area_cleared_m2, h.area_remaining_m2
FROM hazards h
JOIN districts d ON d.id = h.district_id
WHERE h.revoked_at IS NULL
ORDER BY h.fid
