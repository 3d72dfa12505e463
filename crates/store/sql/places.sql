-- What a search of the map finds: hazards in force whose code or name holds
-- ?1 (folded to lower case, LIKE-escaped with \), settlements and districts
-- whose name does; at most ?2 of each, those beginning with ?1 first, each
-- with its extent from the spatial index.
SELECT * FROM (
  SELECT 'hazard' AS kind, h.code, h.name, r.minx, r.miny, r.maxx, r.maxy
  FROM hazards h JOIN rtree_hazards_geom r ON r.id = h.fid
  WHERE h.revoked_at IS NULL
    AND (sg_fold(h.code) LIKE '%' || ?1 || '%' ESCAPE '\' OR sg_fold(h.name) LIKE '%' || ?1 || '%' ESCAPE '\')
  ORDER BY sg_fold(h.code) LIKE ?1 || '%' ESCAPE '\' DESC, h.code
  LIMIT ?2)
UNION ALL SELECT * FROM (
  SELECT 'settlement', NULL, s.name, r.minx, r.miny, r.maxx, r.maxy
  FROM settlements s JOIN rtree_settlements_geom r ON r.id = s.fid
  WHERE sg_fold(s.name) LIKE '%' || ?1 || '%' ESCAPE '\'
  ORDER BY sg_fold(s.name) LIKE ?1 || '%' ESCAPE '\' DESC, coalesce(s.population, 0) DESC, s.name
  LIMIT ?2)
UNION ALL SELECT * FROM (
  SELECT 'district', NULL, d.name, r.minx, r.miny, r.maxx, r.maxy
  FROM districts d JOIN rtree_districts_geom r ON r.id = d.fid
  WHERE sg_fold(d.name) LIKE '%' || ?1 || '%' ESCAPE '\' OR sg_fold(coalesce(d.alt_name, '')) LIKE '%' || ?1 || '%' ESCAPE '\'
  ORDER BY sg_fold(d.name) LIKE ?1 || '%' ESCAPE '\' DESC, d.name
  LIMIT ?2)
