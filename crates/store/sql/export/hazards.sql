-- Hazards as they stood before ?1, optionally in district ?2 (either spelling).
SELECT v.geom, h.id, h.code, h.name, v.kind, v.status, d.name, h.contamination, h.land_use, h.recorded_on,
       o.acronym, v.area_recorded_m2, v.area_cancelled_m2, v.area_reduced_m2, v.area_cleared_m2,
       v.area_remaining_m2, v.version
FROM hazard_versions v
JOIN hazards h ON h.id = v.hazard_id
JOIN districts d ON d.id = h.district_id
JOIN organisations o ON o.id = h.recorded_by
WHERE v.valid_from < ?1 AND (v.valid_to IS NULL OR v.valid_to >= ?1)
  AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY h.code
