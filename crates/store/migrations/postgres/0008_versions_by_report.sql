-- safeground schema 8 on PostgreSQL: as migrations/0008_versions_by_report.sql,
-- the versions' polygons as PostGIS geometry with a GiST index for `trace`.
CREATE INDEX IF NOT EXISTS hazard_versions_report ON hazard_versions(report_id);
ALTER TABLE hazard_versions
  ADD COLUMN shape geometry(MultiPolygon, 4326) GENERATED ALWAYS AS (sg_geometry(geom)) STORED;
CREATE INDEX hazard_versions_shape ON hazard_versions USING gist (shape);
