-- Settlements, optionally in district ?2 (?1 is unused: reference data has no history).
SELECT s.geom, s.id, s.name, s.alt_names, s.population, s.geonames_id, d.name
FROM settlements s
LEFT JOIN districts d ON d.id = s.district_id
WHERE ?1 IS NOT NULL AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY s.name, s.fid
