-- What a search of the map finds: hazards in force whose code or name holds
-- ?1 (folded to lower case, LIKE-escaped with \), settlements and districts
-- whose name does; at most ?2 of each, each with its extent from the spatial
-- index. Hazards, then settlements, then districts; within each, those whose
-- code or name begins with ?1 first, then (settlements) the most populous,
-- then by code or name, then as stored.
SELECT kind, code, name, minx, miny, maxx, maxy FROM (
SELECT * FROM (
  SELECT 1 AS rank, 'hazard' AS kind, h.code, h.name, r.minx, r.miny, r.maxx, r.maxy,
         (sg_fold(h.code) LIKE ?1 || '%' ESCAPE '\' OR sg_fold(h.name) LIKE ?1 || '%' ESCAPE '\') AS first,
         0 AS people, h.code AS key, h.fid AS tie
  FROM hazards h JOIN rtree_hazards_geom r ON r.id = h.fid
  WHERE h.revoked_at IS NULL
    AND (sg_fold(h.code) LIKE '%' || ?1 || '%' ESCAPE '\' OR sg_fold(h.name) LIKE '%' || ?1 || '%' ESCAPE '\')
  ORDER BY first DESC, key
  LIMIT ?2)
UNION ALL SELECT * FROM (
  SELECT 2, 'settlement', NULL, s.name, r.minx, r.miny, r.maxx, r.maxy,
         sg_fold(s.name) LIKE ?1 || '%' ESCAPE '\', coalesce(s.population, 0), s.name, s.fid
  FROM settlements s JOIN rtree_settlements_geom r ON r.id = s.fid
  WHERE sg_fold(s.name) LIKE '%' || ?1 || '%' ESCAPE '\'
  ORDER BY 9 DESC, 10 DESC, 11, 12
  LIMIT ?2)
UNION ALL SELECT * FROM (
  SELECT 3, 'district', NULL, d.name, r.minx, r.miny, r.maxx, r.maxy,
         sg_fold(d.name) LIKE ?1 || '%' ESCAPE '\', 0, d.name, d.fid
  FROM districts d JOIN rtree_districts_geom r ON r.id = d.fid
  WHERE sg_fold(d.name) LIKE '%' || ?1 || '%' ESCAPE '\' OR sg_fold(coalesce(d.alt_name, '')) LIKE '%' || ?1 || '%' ESCAPE '\'
  ORDER BY 9 DESC, 11, 12
  LIMIT ?2)
) AS found
ORDER BY rank, first DESC, people DESC, key, tie
