-- safeground schema 8: hazard versions found by report and by place.
--
-- Unapproving a report (an import's report versions a thousand hazards) and
-- tracing to it look its versions up by report_id; without the index each
-- scanned every version and its polygon.
CREATE INDEX IF NOT EXISTS hazard_versions_report ON hazard_versions(report_id);

-- `trace` asks which versions' extents hold a point: an R-tree of every
-- version's extent (versions are only ever inserted; their polygon never
-- changes). Not a GeoPackage feature table, so not a `gpkg_rtree_index`.
CREATE VIRTUAL TABLE sg_version_extents USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO sg_version_extents
  SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM hazard_versions;
CREATE TRIGGER sg_version_extents_insert AFTER INSERT ON hazard_versions
BEGIN
  INSERT INTO sg_version_extents VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
