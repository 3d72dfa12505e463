-- safeground schema 10: residual contamination [IMAS 09.20]. An EO find or an
-- accident inside ground already released, dated after its release, is
-- recorded by the approval of the report that brought it (as every find is),
-- and flagged: a row here ties it to the released ground, and to the
-- investigation task the approval issued (event TASK_ISSUED). The record
-- counts from recorded_at until revoked_at (the report's unapproval), like
-- the records of schema 2; its status is its task's.

CREATE TABLE residuals (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  eo_find_id TEXT REFERENCES eo_finds(id),
  accident_id TEXT REFERENCES accidents(id),
  found_on DATE NOT NULL,
  released_area_id TEXT NOT NULL REFERENCES released_areas(id),
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  released_on DATE NOT NULL CHECK (released_on < found_on),
  released_by TEXT NOT NULL REFERENCES organisations(id),
  task_id TEXT NOT NULL REFERENCES tasks(id),
  report_id TEXT NOT NULL REFERENCES reports(id),
  recorded_at DATETIME NOT NULL,
  revoked_at DATETIME,
  CHECK ((eo_find_id IS NULL) <> (accident_id IS NULL))
);
CREATE INDEX residuals_report ON residuals(report_id);
CREATE INDEX residuals_hazard ON residuals(hazard_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('residuals', 'features', 'residuals', 'Residual contamination: EO found, or an accident, inside ground after its release, with the investigation task', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('residuals', 'geom', 'POINT', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_residuals_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_residuals_geom_insert AFTER INSERT ON residuals
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_residuals_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_residuals_geom_update1 AFTER UPDATE OF geom ON residuals
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_residuals_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_residuals_geom_update2 AFTER UPDATE OF geom ON residuals
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_residuals_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_residuals_geom_update3 AFTER UPDATE ON residuals
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_residuals_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_residuals_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_residuals_geom_update4 AFTER UPDATE ON residuals
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_residuals_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_residuals_geom_delete AFTER DELETE ON residuals
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_residuals_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('residuals', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
