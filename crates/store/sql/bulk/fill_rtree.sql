-- The rows a bulk write added to a GeoPackage feature table, into its
-- spatial index at once, as its insert trigger (`rtree_<t>_geom_insert`,
-- migration 4) would have put them one by one: only non-empty geometries.
-- {table} and {index} are filled in by `bulk.rs`; ?1 is the highest fid
-- before the write.
INSERT OR REPLACE INTO {index}
  SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM {table}
  WHERE fid > ?1 AND geom NOT NULL AND NOT ST_IsEmpty(geom)
