-- What a search of the map finds: hazards in force whose code or name holds
-- ?1 (lower case, LIKE-escaped with \), settlements and districts whose name
-- does; at most ?2 of each, those beginning with ?1 first, each with its extent.
-- PostgreSQL/PostGIS: ICU's lower case; extents from `shape`.
SELECT * FROM (
  SELECT 'hazard' AS kind, h.code, h.name,
         ST_XMin(h.shape) AS minx, ST_YMin(h.shape) AS miny, ST_XMax(h.shape) AS maxx, ST_YMax(h.shape) AS maxy
  FROM hazards h
  WHERE h.revoked_at IS NULL
    AND (lower(h.code COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
      OR lower(h.name COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\')
  ORDER BY lower(h.code COLLATE "und-x-icu") LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\' DESC, h.code
  LIMIT ?2) AS hazards
UNION ALL SELECT * FROM (
  SELECT 'settlement', NULL, s.name, ST_XMin(s.shape), ST_YMin(s.shape), ST_XMax(s.shape), ST_YMax(s.shape)
  FROM settlements s
  WHERE lower(s.name COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
  ORDER BY lower(s.name COLLATE "und-x-icu") LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\' DESC, coalesce(s.population, 0) DESC, s.name
  LIMIT ?2) AS settlements
UNION ALL SELECT * FROM (
  SELECT 'district', NULL, d.name, ST_XMin(d.shape), ST_YMin(d.shape), ST_XMax(d.shape), ST_YMax(d.shape)
  FROM districts d
  WHERE lower(d.name COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
     OR lower(coalesce(d.alt_name, '') COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
  ORDER BY lower(d.name COLLATE "und-x-icu") LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\' DESC, d.name
  LIMIT ?2) AS districts
