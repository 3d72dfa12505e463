-- What a search of the map finds: hazards in force whose code or name holds
-- ?1 (lower case, LIKE-escaped with \), settlements and districts whose name
-- does; at most ?2 of each, each with its extent. Hazards, then settlements,
-- then districts; within each, those whose code or name begins with ?1
-- first, then (settlements) the most populous, then by code or name, then as stored.
-- PostgreSQL/PostGIS: ICU's lower case; extents from `shape`.
SELECT kind, code, name, minx, miny, maxx, maxy FROM (
SELECT * FROM (
  SELECT 1 AS rank, 'hazard' AS kind, h.code, h.name,
         ST_XMin(h.shape) AS minx, ST_YMin(h.shape) AS miny, ST_XMax(h.shape) AS maxx, ST_YMax(h.shape) AS maxy,
         (lower(h.code COLLATE "und-x-icu") LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\'
          OR lower(h.name COLLATE "und-x-icu") LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\') AS first,
         CAST(0 AS BIGINT) AS people, h.code AS key, CAST(h.fid AS BIGINT) AS tie
  FROM hazards h
  WHERE h.revoked_at IS NULL
    AND (lower(h.code COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
      OR lower(h.name COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\')
  ORDER BY 9 DESC, h.code COLLATE "C"
  LIMIT ?2) AS hazards
UNION ALL SELECT * FROM (
  SELECT 2, 'settlement', NULL, s.name, ST_XMin(s.shape), ST_YMin(s.shape), ST_XMax(s.shape), ST_YMax(s.shape),
         lower(s.name COLLATE "und-x-icu") LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\',
         CAST(coalesce(s.population, 0) AS BIGINT), s.name, CAST(s.fid AS BIGINT)
  FROM settlements s
  WHERE lower(s.name COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
  ORDER BY 9 DESC, 10 DESC, s.name COLLATE "C", s.fid
  LIMIT ?2) AS settlements
UNION ALL SELECT * FROM (
  SELECT 3, 'district', NULL, d.name, ST_XMin(d.shape), ST_YMin(d.shape), ST_XMax(d.shape), ST_YMax(d.shape),
         lower(d.name COLLATE "und-x-icu") LIKE CAST(?1 AS TEXT) || '%' ESCAPE '\',
         CAST(0 AS BIGINT), d.name, CAST(d.fid AS BIGINT)
  FROM districts d
  WHERE lower(d.name COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
     OR lower(coalesce(d.alt_name, '') COLLATE "und-x-icu") LIKE '%' || CAST(?1 AS TEXT) || '%' ESCAPE '\'
  ORDER BY 9 DESC, d.name COLLATE "C", d.fid
  LIMIT ?2) AS districts
) AS found
ORDER BY rank, first DESC, people DESC, key COLLATE "C", tie
