-- One row per hazard: its district and land-release figures.
SELECT d.name, h.status,
       h.area_recorded_m2, h.area_cancelled_m2, h.area_reduced_m2, h.area_cleared_m2, h.area_remaining_m2
FROM hazards h
JOIN districts d ON d.id = h.district_id
ORDER BY h.fid
