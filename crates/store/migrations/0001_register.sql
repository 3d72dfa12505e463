-- safeground schema 1: the national register as a GeoPackage 1.3.
--
-- Layers (registered in gpkg_contents as 'features'): hazards, released_areas,
-- eo_finds, accidents, eore_sessions, settlements, districts.
-- Attribute tables (registered as 'attributes'): regions, organisations, teams,
-- tasks, activities, hazard_evidence.
-- Internal tables (not registered, so GIS clients do not list them): sg_meta,
-- victims, victim_identities. Victims' personal data never sits in a layer.
--
-- Identifiers: every record has `fid` (the GeoPackage integer key, local to
-- this file) and `id` (a UUID, global and stable; foreign keys use it).

CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);

INSERT INTO gpkg_spatial_ref_sys VALUES
 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
 ('WGS 84 geodetic', 4326, 'EPSG', 4326,
  'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');

CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);

CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);

CREATE TABLE sg_meta (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
);

-- Reference data: places and organisations.

CREATE TABLE regions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE
);

CREATE TABLE districts (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL UNIQUE,
  region_id TEXT NOT NULL REFERENCES regions(id),
  name TEXT NOT NULL UNIQUE,
  alt_name TEXT,
  hasc TEXT,
  area_m2 REAL NOT NULL
);

CREATE TABLE settlements (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  district_id TEXT REFERENCES districts(id),
  name TEXT NOT NULL,
  alt_names TEXT,
  population INTEGER,
  geonames_id INTEGER
);
CREATE INDEX settlements_district ON settlements(district_id);

CREATE TABLE organisations (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  acronym TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('NATIONAL_AUTHORITY','OPERATOR','QM_BODY')),
  country TEXT NOT NULL CHECK (length(country) = 2)
);

CREATE TABLE teams (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('NTS','MANUAL_CLEARANCE','MECHANICAL_CLEARANCE','MDD','EOD','EORE','QM'))
);

-- The register.

CREATE TABLE hazards (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL UNIQUE,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('SHA','CHA')),
  status TEXT NOT NULL CHECK (status IN ('OPEN','WORKED_ON','CLOSED','HANDED_OVER')),
  district_id TEXT NOT NULL REFERENCES districts(id),
  contamination TEXT NOT NULL CHECK (contamination <> ''),
  land_use TEXT NOT NULL DEFAULT '',
  reference_lon REAL,
  reference_lat REAL,
  reference_description TEXT,
  benchmark_lon REAL,
  benchmark_lat REAL,
  recorded_on DATE NOT NULL,
  recorded_by TEXT NOT NULL REFERENCES organisations(id),
  beneficiaries INTEGER,
  area_recorded_m2 REAL NOT NULL CHECK (area_recorded_m2 >= 0),
  area_cancelled_m2 REAL NOT NULL DEFAULT 0 CHECK (area_cancelled_m2 >= 0),
  area_reduced_m2 REAL NOT NULL DEFAULT 0 CHECK (area_reduced_m2 >= 0),
  area_cleared_m2 REAL NOT NULL DEFAULT 0 CHECK (area_cleared_m2 >= 0),
  area_remaining_m2 REAL NOT NULL CHECK (area_remaining_m2 >= 0),
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX hazards_district ON hazards(district_id);
CREATE INDEX hazards_status ON hazards(status);

CREATE TABLE hazard_evidence (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  source TEXT NOT NULL,
  confidence TEXT NOT NULL CHECK (confidence IN ('LOW','MEDIUM','HIGH')),
  description TEXT NOT NULL
);
CREATE INDEX hazard_evidence_hazard ON hazard_evidence(hazard_id);

CREATE TABLE tasks (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  code TEXT NOT NULL UNIQUE,
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  activity TEXT NOT NULL,
  priority TEXT NOT NULL CHECK (priority IN ('HIGH','MEDIUM','LOW')),
  status TEXT NOT NULL CHECK (status IN ('ISSUED','IN_PROGRESS','COMPLETED','CANCELLED')),
  issued_on DATE NOT NULL,
  due_on DATE
);
CREATE INDEX tasks_hazard ON tasks(hazard_id);

CREATE TABLE activities (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('NTS','TS','CLEARANCE','BAC','EOD_SPOT_TASK')),
  method TEXT CHECK (method IN ('MANUAL','MECHANICAL','DOGS')),
  hazard_id TEXT REFERENCES hazards(id),
  task_id TEXT REFERENCES tasks(id),
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  team_id TEXT REFERENCES teams(id),
  start_date DATE NOT NULL,
  end_date DATE NOT NULL CHECK (end_date >= start_date),
  depth_cm INTEGER,
  hours_worked REAL
);
CREATE INDEX activities_hazard ON activities(hazard_id);

CREATE TABLE released_areas (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON NOT NULL,
  id TEXT NOT NULL UNIQUE,
  activity_id TEXT NOT NULL REFERENCES activities(id),
  hazard_id TEXT NOT NULL REFERENCES hazards(id),
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  outcome TEXT NOT NULL CHECK (outcome IN ('CANCELLED','REDUCED','CLEARED')),
  released_on DATE NOT NULL,
  area_m2 REAL NOT NULL CHECK (area_m2 >= 0)
);
CREATE INDEX released_areas_hazard ON released_areas(hazard_id);

CREATE TABLE eo_finds (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  activity_id TEXT REFERENCES activities(id),
  hazard_id TEXT REFERENCES hazards(id),
  district_id TEXT REFERENCES districts(id),
  found_on DATE NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('AP','AT','UXO','AXO','CMR','IED')),
  eo_type TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity > 0),
  condition TEXT NOT NULL,
  fuze_state TEXT,
  disposal TEXT NOT NULL CHECK (disposal IN ('DESTROYED_IN_SITU','REMOVED_AND_DESTROYED','HANDED_OVER'))
);
CREATE INDEX eo_finds_hazard ON eo_finds(hazard_id);

CREATE TABLE accidents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('DEMINING_ACCIDENT','INCIDENT')),
  occurred_on DATE NOT NULL,
  district_id TEXT REFERENCES districts(id),
  hazard_id TEXT REFERENCES hazards(id),
  device_category TEXT NOT NULL,
  activity_at_time TEXT NOT NULL,
  area_marked BOOLEAN NOT NULL,
  cause TEXT NOT NULL,
  killed INTEGER NOT NULL DEFAULT 0,
  injured INTEGER NOT NULL DEFAULT 0
);

-- Internal: victims (statistical fields) and their identities (personal data).
CREATE TABLE victims (
  id TEXT NOT NULL PRIMARY KEY,
  accident_id TEXT NOT NULL REFERENCES accidents(id),
  outcome TEXT NOT NULL CHECK (outcome IN ('KILLED','INJURED')),
  sex TEXT NOT NULL CHECK (sex IN ('FEMALE','MALE','UNKNOWN')),
  age INTEGER CHECK (age IS NULL OR (age >= 0 AND age < 130)),
  occupation TEXT,
  injuries TEXT,
  assistance TEXT
);
CREATE INDEX victims_accident ON victims(accident_id);

CREATE TABLE victim_identities (
  victim_id TEXT NOT NULL PRIMARY KEY REFERENCES victims(id),
  full_name TEXT NOT NULL,
  contact TEXT
);

CREATE TABLE eore_sessions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  held_on DATE NOT NULL,
  kind TEXT NOT NULL,
  audience TEXT NOT NULL,
  settlement_id TEXT REFERENCES settlements(id),
  district_id TEXT REFERENCES districts(id),
  girls INTEGER NOT NULL CHECK (girls >= 0),
  boys INTEGER NOT NULL CHECK (boys >= 0),
  women INTEGER NOT NULL CHECK (women >= 0),
  men INTEGER NOT NULL CHECK (men >= 0)
);

-- Registration of layers and attribute tables.
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
 ('hazards', 'features', 'hazards', 'Suspected and confirmed hazardous areas as recorded, with status and land-release figures (m², WGS84 ellipsoid)', 4326),
 ('released_areas', 'features', 'released_areas', 'Every polygon of released ground with its outcome (cancelled, reduced, cleared)', 4326),
 ('eo_finds', 'features', 'eo_finds', 'Explosive ordnance found, by category, type and disposal', 4326),
 ('accidents', 'features', 'accidents', 'Demining accidents and mine/ERW incidents (no personal data)', 4326),
 ('eore_sessions', 'features', 'eore_sessions', 'Explosive ordnance risk education sessions with people reached by sex and age', 4326),
 ('settlements', 'features', 'settlements', 'Settlements (GeoNames, CC BY 4.0)', 4326),
 ('districts', 'features', 'districts', 'Districts (Natural Earth admin-1, via the Highcharts map collection, CC BY 4.0)', 4326),
 ('regions', 'attributes', 'regions', 'Economic regions', NULL),
 ('organisations', 'attributes', 'organisations', 'National authority, operators and QM bodies', NULL),
 ('teams', 'attributes', 'teams', 'Teams of the organisations', NULL),
 ('tasks', 'attributes', 'tasks', 'Task orders: a hazard given to an operator', NULL),
 ('activities', 'attributes', 'activities', 'Survey, clearance and EOD activities', NULL),
 ('hazard_evidence', 'attributes', 'hazard_evidence', 'Evidence behind each hazard, with source and confidence', NULL);

INSERT INTO gpkg_geometry_columns VALUES
 ('hazards', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
 ('released_areas', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
 ('eo_finds', 'geom', 'POINT', 4326, 0, 0),
 ('accidents', 'geom', 'POINT', 4326, 0, 0),
 ('eore_sessions', 'geom', 'POINT', 4326, 0, 0),
 ('settlements', 'geom', 'POINT', 4326, 0, 0),
 ('districts', 'geom', 'MULTIPOLYGON', 4326, 0, 0);
