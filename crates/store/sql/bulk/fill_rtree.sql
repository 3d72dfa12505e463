-- The rows a bulk write added to a GeoPackage feature table, into its
-- spatial index a slice at a time, as its insert trigger (`rtree_<t>_geom_insert`,
-- migration 4) would have put them one by one: only non-empty geometries.
-- {table} and {index} are filled in by `bulk.rs`; the rows
-- after fid ?1 up to ?2, a slice of those the write added.
INSERT OR REPLACE INTO {index}
  SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM {table}
  WHERE fid > ?1 AND fid <= ?2 AND geom NOT NULL AND NOT ST_IsEmpty(geom)
