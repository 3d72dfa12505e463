-- The hazard versions a bulk write added, into `sg_version_extents` at
-- once, as its insert trigger (migration 8) would have put them one by one.
-- ?1 is the highest fid before the write.
INSERT INTO sg_version_extents
  SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM hazard_versions
  WHERE fid > ?1
