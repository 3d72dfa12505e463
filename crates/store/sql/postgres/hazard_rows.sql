-- Hazards as sql/hazard_rows.sql lists them; the box through the GiST index
-- on `shape` instead of the GeoPackage R-tree, and the parameters' types
-- said where PostgreSQL cannot infer them. The columns are lowered by ICU's
-- root locale (the "C" collation would lower ASCII only), as Rust lowers
-- the text searched.
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
  AND (CAST(?6 AS TEXT) IS NULL OR h.recorded_on >= CAST(?6 AS TEXT))
  AND (CAST(?7 AS TEXT) IS NULL OR h.recorded_on <= CAST(?7 AS TEXT))
  AND (CAST(?8 AS DOUBLE PRECISION) IS NULL
       OR h.shape && ST_MakeEnvelope(CAST(?8 AS DOUBLE PRECISION), CAST(?9 AS DOUBLE PRECISION),
                                     CAST(?10 AS DOUBLE PRECISION), CAST(?11 AS DOUBLE PRECISION), 4326))
  AND (CAST(?14 AS TEXT) IS NULL
       OR lower(h.code COLLATE "und-x-icu") LIKE '%' || CAST(?14 AS TEXT) || '%' ESCAPE '\'
       OR lower(h.name COLLATE "und-x-icu") LIKE '%' || CAST(?14 AS TEXT) || '%' ESCAPE '\')
  AND (CAST(?15 AS TEXT) IS NULL OR h.kind = CAST(?15 AS TEXT))
ORDER BY CASE WHEN CAST(?16 AS TEXT) = 'REMAINING' THEN h.area_remaining_m2 END DESC,
         CASE WHEN CAST(?16 AS TEXT) = 'RECORDED' THEN h.recorded_on END DESC,
         CASE WHEN CAST(?16 AS TEXT) = 'DISTRICT' THEN d.name END,
         h.code
LIMIT ?12 OFFSET ?13
