-- safeground schema 4: the GeoPackage spatial index (the RTree extension of
-- GeoPackage 1.3, "gpkg_rtree_index") on every layer, as GDAL writes it: one
-- rtree virtual table per layer, kept current by the standard triggers, which
-- call ST_MinX, ST_MaxX, ST_MinY, ST_MaxY and ST_IsEmpty (safeground registers
-- them on its connections, as GDAL does). Map tiles, bounding-box filters and
-- QGIS find features through it instead of reading every geometry.

CREATE TABLE IF NOT EXISTS gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);

CREATE VIRTUAL TABLE rtree_districts_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_districts_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM districts
  WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_districts_geom_insert AFTER INSERT ON districts
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_districts_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_districts_geom_update1 AFTER UPDATE OF geom ON districts
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_districts_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_districts_geom_update2 AFTER UPDATE OF geom ON districts
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_districts_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_districts_geom_update3 AFTER UPDATE ON districts
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_districts_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_districts_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_districts_geom_update4 AFTER UPDATE ON districts
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_districts_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_districts_geom_delete AFTER DELETE ON districts
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_districts_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('districts', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_settlements_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_settlements_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM settlements
  WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_settlements_geom_insert AFTER INSERT ON settlements
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_settlements_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_settlements_geom_update1 AFTER UPDATE OF geom ON settlements
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_settlements_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_settlements_geom_update2 AFTER UPDATE OF geom ON settlements
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_settlements_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_settlements_geom_update3 AFTER UPDATE ON settlements
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_settlements_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_settlements_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_settlements_geom_update4 AFTER UPDATE ON settlements
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_settlements_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_settlements_geom_delete AFTER DELETE ON settlements
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_settlements_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('settlements', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_hazards_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_hazards_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM hazards
  WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_hazards_geom_insert AFTER INSERT ON hazards
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_hazards_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_hazards_geom_update1 AFTER UPDATE OF geom ON hazards
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_hazards_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_hazards_geom_update2 AFTER UPDATE OF geom ON hazards
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_hazards_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_hazards_geom_update3 AFTER UPDATE ON hazards
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_hazards_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_hazards_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_hazards_geom_update4 AFTER UPDATE ON hazards
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_hazards_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_hazards_geom_delete AFTER DELETE ON hazards
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_hazards_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('hazards', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_released_areas_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_released_areas_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM released_areas
  WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_released_areas_geom_insert AFTER INSERT ON released_areas
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_released_areas_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_released_areas_geom_update1 AFTER UPDATE OF geom ON released_areas
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_released_areas_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_released_areas_geom_update2 AFTER UPDATE OF geom ON released_areas
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_released_areas_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_released_areas_geom_update3 AFTER UPDATE ON released_areas
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_released_areas_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_released_areas_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_released_areas_geom_update4 AFTER UPDATE ON released_areas
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_released_areas_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_released_areas_geom_delete AFTER DELETE ON released_areas
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_released_areas_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('released_areas', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_eo_finds_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_eo_finds_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM eo_finds
  WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_eo_finds_geom_insert AFTER INSERT ON eo_finds
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_eo_finds_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_eo_finds_geom_update1 AFTER UPDATE OF geom ON eo_finds
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_eo_finds_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_eo_finds_geom_update2 AFTER UPDATE OF geom ON eo_finds
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_eo_finds_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_eo_finds_geom_update3 AFTER UPDATE ON eo_finds
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_eo_finds_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_eo_finds_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_eo_finds_geom_update4 AFTER UPDATE ON eo_finds
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_eo_finds_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_eo_finds_geom_delete AFTER DELETE ON eo_finds
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_eo_finds_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('eo_finds', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_accidents_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_accidents_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM accidents
  WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_accidents_geom_insert AFTER INSERT ON accidents
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_accidents_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_accidents_geom_update1 AFTER UPDATE OF geom ON accidents
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_accidents_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_accidents_geom_update2 AFTER UPDATE OF geom ON accidents
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_accidents_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_accidents_geom_update3 AFTER UPDATE ON accidents
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_accidents_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_accidents_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_accidents_geom_update4 AFTER UPDATE ON accidents
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_accidents_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_accidents_geom_delete AFTER DELETE ON accidents
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_accidents_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('accidents', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

CREATE VIRTUAL TABLE rtree_eore_sessions_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT OR REPLACE INTO rtree_eore_sessions_geom SELECT fid, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom) FROM eore_sessions
  WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_eore_sessions_geom_insert AFTER INSERT ON eore_sessions
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_eore_sessions_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_eore_sessions_geom_update1 AFTER UPDATE OF geom ON eore_sessions
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_eore_sessions_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_eore_sessions_geom_update2 AFTER UPDATE OF geom ON eore_sessions
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_eore_sessions_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_eore_sessions_geom_update3 AFTER UPDATE ON eore_sessions
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_eore_sessions_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_eore_sessions_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_eore_sessions_geom_update4 AFTER UPDATE ON eore_sessions
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_eore_sessions_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_eore_sessions_geom_delete AFTER DELETE ON eore_sessions
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_eore_sessions_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('eore_sessions', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
