-- Hazards with their district name, filtered by optional district (name or
-- English name, case-insensitive), status, key (UUID or code), contamination
-- code, recording organisation (acronym), recorded from / to (dates), and a
-- box west ?8, south ?9, east ?10, north ?11 that their extent meets (through
-- the spatial index: no polygon is read), text ?14 in the code or the name
-- (any case of any script: ?14 comes lower-cased by Rust, sg_fold lowers the
-- columns as Rust does; % and _ escaped by the caller) and kind ?15; in the order ?16
-- names (REMAINING: most ground left first, RECORDED: latest first,
-- DISTRICT; else by code), one page (LIMIT ?12 OFFSET ?13), each row with
-- the count of all that match.
SELECT h.id, h.code, h.name, h.kind, h.status, d.name, h.contamination, h.land_use, h.recorded_on,
       o.acronym,
       h.area_recorded_m2, h.area_cancelled_m2, h.area_reduced_m2, h.area_cleared_m2, h.area_remaining_m2,
       h.version,
       count(*) OVER () AS matching
FROM hazards h
JOIN districts d ON d.id = h.district_id
JOIN organisations o ON o.id = h.recorded_by
WHERE h.revoked_at IS NULL
  AND (?1 IS NULL OR d.name = ?1 COLLATE NOCASE OR d.alt_name = ?1 COLLATE NOCASE)
  AND (?2 IS NULL OR h.status = ?2)
  AND (?3 IS NULL OR h.id = ?3 OR h.code = ?3 COLLATE NOCASE)
  AND (?4 IS NULL OR ',' || h.contamination || ',' LIKE '%,' || ?4 || ',%')
  AND (?5 IS NULL OR o.acronym = ?5 COLLATE NOCASE)
  AND (?6 IS NULL OR h.recorded_on >= ?6)
  AND (?7 IS NULL OR h.recorded_on <= ?7)
  AND (?8 IS NULL OR h.fid IN (SELECT id FROM rtree_hazards_geom
                               WHERE minx <= ?10 AND maxx >= ?8 AND miny <= ?11 AND maxy >= ?9))
  AND (?14 IS NULL OR sg_fold(h.code) LIKE '%' || ?14 || '%' ESCAPE '\'
       OR sg_fold(h.name) LIKE '%' || ?14 || '%' ESCAPE '\')
  AND (?15 IS NULL OR h.kind = ?15)
ORDER BY CASE WHEN ?16 = 'REMAINING' THEN h.area_remaining_m2 END DESC,
         CASE WHEN ?16 = 'RECORDED' THEN h.recorded_on END DESC,
         CASE WHEN ?16 = 'DISTRICT' THEN d.name END,
         h.code
LIMIT ?12 OFFSET ?13
