-- safeground schema 14: quality-management inspections [IMAS 07.12, 09.20].
-- The approval of a QM_INSPECTION report records the inspection here: a
-- quality-assurance visit (QA) to a task's work in progress, or a quality
-- control (QC) of released ground; the sample searched again (a polygon,
-- inside the ground inspected), its geodesic area and that of the ground
-- inspected, the items found and the result. inspection_areas names the
-- released areas inspected and those the inspection re-opened. Counted from
-- recorded_at until revoked_at (the report's unapproval), like schema 2's
-- records; QGIS opens the samples as a layer.

CREATE TABLE inspections (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON,
  id TEXT NOT NULL UNIQUE,
  report_id TEXT NOT NULL REFERENCES reports(id),
  kind TEXT NOT NULL CHECK (kind IN ('QA', 'QC')),
  result TEXT NOT NULL CHECK (result IN ('PASS', 'FAIL')),
  hazard_id TEXT REFERENCES hazards(id),
  task_id TEXT REFERENCES tasks(id),
  organisation_id TEXT REFERENCES organisations(id),
  inspected_on DATE NOT NULL,
  items_found INTEGER NOT NULL CHECK (items_found >= 0),
  sample_m2 REAL CHECK (sample_m2 >= 0),
  inspected_m2 REAL CHECK (inspected_m2 >= 0),
  recorded_at DATETIME NOT NULL,
  revoked_at DATETIME,
  CHECK (items_found = 0 OR result = 'FAIL'),
  CHECK ((geom IS NULL) = (sample_m2 IS NULL))
);
CREATE INDEX inspections_report ON inspections(report_id);
CREATE INDEX inspections_hazard ON inspections(hazard_id);
CREATE TABLE inspection_areas (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  inspection_id TEXT NOT NULL REFERENCES inspections(id),
  released_area_id TEXT NOT NULL REFERENCES released_areas(id),
  reopened BOOLEAN NOT NULL CHECK (reopened IN (0, 1)),
  UNIQUE (inspection_id, released_area_id)
);
CREATE INDEX inspection_areas_area ON inspection_areas(released_area_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('inspections', 'features', 'inspections', 'Quality-management inspections: QA visits and QC samples of released ground, with the items found and the result', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('inspections', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
 ('inspection_areas', 'attributes', 'inspection_areas', 'The released areas each inspection inspected, and whether it re-opened them');

CREATE VIRTUAL TABLE rtree_inspections_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_inspections_geom_insert AFTER INSERT ON inspections
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_inspections_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_inspections_geom_update1 AFTER UPDATE OF geom ON inspections
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_inspections_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_inspections_geom_update2 AFTER UPDATE OF geom ON inspections
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_inspections_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_inspections_geom_update3 AFTER UPDATE ON inspections
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_inspections_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_inspections_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_inspections_geom_update4 AFTER UPDATE ON inspections
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_inspections_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_inspections_geom_delete AFTER DELETE ON inspections
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_inspections_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('inspections', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
