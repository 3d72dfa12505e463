-- safeground schema 22: how PostgreSQL stores the polygons.
--
-- A polygon is a run of doubles: compression finds nothing in it. The
-- GeoPackage blobs (`geom`, BYTEA, storage EXTENDED) of every row over 2 kB
-- were tried by pglz, failed, and went out of the row uncompressed; the
-- PostGIS twins (`shape`, storage MAIN as PostGIS declares it) were tried
-- too and stayed in the row. No register held a compressed polygon, and
-- the tries were about half of inserting a hazard (BENCHMARKS.md, the
-- PostgreSQL row, 2026-12-07, sixteenth session). The blobs are now
-- EXTERNAL: out of the row as before, without the try.
--
-- The hazards and their versions, which imports write by the thousand,
-- keep both in the row up to a full page (toast_tuple_target): below it
-- the row is not toasted at all, so neither copy is tried, and the blob
-- is read without a second lookup. The rows are about twice as wide as
-- before (the blob joins the geometry already there); `shape` stays in the
-- row for tiles and spatial filters, as before. A larger polygon still
-- goes out of the row, the blob first.
--
-- Both apply to rows written from now on; rows already written stay as
-- they are, and read the same.
ALTER TABLE districts ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE country ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE hazards ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE hazard_versions ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE released_areas ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE inspections ALTER COLUMN geom SET STORAGE EXTERNAL;
ALTER TABLE hazards SET (toast_tuple_target = 8160);
ALTER TABLE hazard_versions SET (toast_tuple_target = 8160);
