-- Districts, optionally only ?2 (?1 is unused: reference data has no history).
SELECT d.geom, d.id, d.name, d.alt_name, d.hasc, r.name, d.area_m2
FROM districts d
JOIN regions r ON r.id = d.region_id
WHERE ?1 IS NOT NULL AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY d.name
