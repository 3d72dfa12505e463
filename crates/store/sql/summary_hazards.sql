-- One row per hazard as it stood at ?1 (an exclusive UTC bound): the version
-- valid then, with its district and land-release figures.
SELECT d.name, v.status,
       v.area_recorded_m2, v.area_cancelled_m2, v.area_reduced_m2, v.area_cleared_m2, v.area_remaining_m2
FROM hazard_versions v
JOIN hazards h ON h.id = v.hazard_id
JOIN districts d ON d.id = h.district_id
WHERE v.valid_from < ?1 AND (v.valid_to IS NULL OR v.valid_to >= ?1)
ORDER BY h.fid
