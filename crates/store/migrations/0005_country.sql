-- safeground schema 5: the programme country's outline, a layer of its own:
-- the base of the map, and the boundary positions are checked against (a
-- point outside it is flagged). Registers without one fall back to the union
-- of their districts.

CREATE TABLE country (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  iso TEXT
);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('country', 'features', 'country', 'The programme country''s outline', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('country', 'geom', 'MULTIPOLYGON', 4326, 0, 0);

CREATE VIRTUAL TABLE rtree_country_geom USING rtree(id, minx, maxx, miny, maxy);
CREATE TRIGGER rtree_country_geom_insert AFTER INSERT ON country
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_country_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_country_geom_update1 AFTER UPDATE OF geom ON country
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_country_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_country_geom_update2 AFTER UPDATE OF geom ON country
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_country_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_country_geom_update3 AFTER UPDATE ON country
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_country_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_country_geom VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_country_geom_update4 AFTER UPDATE ON country
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_country_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_country_geom_delete AFTER DELETE ON country
WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_country_geom WHERE id = OLD.fid;
END;
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
  VALUES ('country', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
