-- Every hazard as it stood just before ?1 (an exclusive UTC bound): the
-- version valid then, with its code, district, contamination (codes joined
-- by commas), evidence and land-release figures, and its polygon (for its
-- centre). The treaty reports' Form C / F.
SELECT h.code, coalesce(d.name, '(no district)'), v.kind, h.contamination,
       v.area_recorded_m2, v.area_cancelled_m2, v.area_reduced_m2, v.area_cleared_m2, v.area_remaining_m2,
       v.geom
FROM hazard_versions v
JOIN hazards h ON h.id = v.hazard_id
LEFT JOIN districts d ON d.id = h.district_id
WHERE v.valid_from < ?1 AND (v.valid_to IS NULL OR v.valid_to >= ?1)
ORDER BY h.code
