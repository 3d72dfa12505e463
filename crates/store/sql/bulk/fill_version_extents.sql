-- The hazard versions a bulk write added, into `sg_version_extents` at
-- a slice at a time, as its insert trigger (migration 8) would have put them one by one.
-- The rows after fid ?1 up to ?2, a slice of those the write added.
INSERT INTO sg_version_extents
  SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM hazard_versions
  WHERE fid > ?1 AND fid <= ?2
