-- safeground schema 22: how PostgreSQL stores the polygons.
--
-- A polygon is a run of doubles: compression finds nothing in it. With the
-- default storage (EXTENDED), PostgreSQL tried to compress every row over
-- 2 kB, the GeoPackage blob and its PostGIS twin each, failed, and moved
-- both out of the row uncompressed: no register held a compressed polygon,
-- and the tries were a third of writing a hazard (BENCHMARKS.md, the
-- PostgreSQL row, 2026-12-07). EXTERNAL skips the try and stores what it
-- stored before.
--
-- A hazard's versions are read with their polygons (its history, the
-- seal), never listed without them: they keep them in the row, up to a
-- full page (toast_tuple_target), and save the out-of-row table's own
-- row and index entry each. A hazard keeps its polygons out of the row:
-- lists, filters and summaries read the hazards without them, and a
-- narrow row keeps those reads short.
--
-- Both apply to rows written from now on; rows already written stay as
-- they are, and read the same.
ALTER TABLE districts ALTER COLUMN geom SET STORAGE EXTERNAL, ALTER COLUMN shape SET STORAGE EXTERNAL;
ALTER TABLE country ALTER COLUMN geom SET STORAGE EXTERNAL, ALTER COLUMN shape SET STORAGE EXTERNAL;
ALTER TABLE hazards ALTER COLUMN geom SET STORAGE EXTERNAL, ALTER COLUMN shape SET STORAGE EXTERNAL;
ALTER TABLE released_areas ALTER COLUMN geom SET STORAGE EXTERNAL, ALTER COLUMN shape SET STORAGE EXTERNAL;
ALTER TABLE inspections ALTER COLUMN geom SET STORAGE EXTERNAL, ALTER COLUMN shape SET STORAGE EXTERNAL;
ALTER TABLE hazard_versions ALTER COLUMN geom SET STORAGE EXTERNAL, ALTER COLUMN shape SET STORAGE EXTERNAL;
ALTER TABLE hazard_versions SET (toast_tuple_target = 8160);
