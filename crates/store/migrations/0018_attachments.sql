-- safeground schema 18: files attached to reports — photographs, scanned
-- signed forms, sketch maps, GPS tracks — kept in the register with the OGC
-- GeoPackage Related Tables Extension (OGC 18-000), so that GDAL and QGIS
-- find a hazard's, a find's or an accident's photographs.
--
-- `attachments` (internal: not in gpkg_contents) holds every file as it was
-- sent: its bytes, its SHA-256, what it was judged to be from its bytes
-- (never its name), a picture's EXIF position and time and a thumbnail, and
-- whether it is personal data (an accident's victims: read only with the
-- personal-data permission). Each is added by an ATTACHMENT_ADDED event whose
-- sealed digest covers the bytes, so `audit verify` catches a replaced file,
-- and the approval of its report digests the SHA-256 of every file it
-- approved. The RTE media table is the view `media`: the attachments that are
-- not personal data. The mapping tables relate the features a report's
-- approval recorded to the report's files; as the extension asks, they are
-- registered in gpkg_extensions (not in gpkg_contents: they are not
-- attribute tables, having no integer key of their own).
CREATE TABLE attachments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  data BLOB NOT NULL,
  content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf',
    'application/gpx+xml', 'application/vnd.google-earth.kml+xml')),
  uuid TEXT NOT NULL UNIQUE,
  report_id TEXT NOT NULL REFERENCES reports(id),
  kind TEXT NOT NULL CHECK (kind IN ('PHOTO', 'SCANNED_FORM', 'SKETCH_MAP', 'GPS_TRACK')),
  file_name TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size > 0),
  sha256 TEXT NOT NULL,
  personal INTEGER NOT NULL CHECK (personal IN (0, 1)),
  width INTEGER,
  height INTEGER,
  taken_at TEXT,
  exif_lon REAL,
  exif_lat REAL,
  thumbnail BLOB,
  recorded_at DATETIME NOT NULL,
  recorded_by TEXT NOT NULL
);
CREATE INDEX attachments_report ON attachments(report_id);
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN SELECT RAISE(ABORT, 'an attachment is kept as it was sent'); END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
BEGIN SELECT RAISE(ABORT, 'an attachment is kept as it was sent'); END;

CREATE VIEW media AS
  SELECT id, data, content_type, uuid, report_id, kind, file_name, size, sha256, taken_at, exif_lon, exif_lat,
    recorded_at
  FROM attachments WHERE personal = 0;

CREATE TABLE gpkgext_relations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  base_table_name TEXT NOT NULL,
  base_primary_column TEXT NOT NULL DEFAULT 'id',
  related_table_name TEXT NOT NULL,
  related_primary_column TEXT NOT NULL DEFAULT 'id',
  relation_name TEXT NOT NULL,
  mapping_table_name TEXT NOT NULL UNIQUE
);
CREATE TABLE hazards_media (base_id INTEGER NOT NULL, related_id INTEGER NOT NULL, UNIQUE (base_id, related_id));
CREATE TABLE eo_finds_media (base_id INTEGER NOT NULL, related_id INTEGER NOT NULL, UNIQUE (base_id, related_id));
CREATE TABLE accidents_media (base_id INTEGER NOT NULL, related_id INTEGER NOT NULL, UNIQUE (base_id, related_id));
CREATE INDEX hazards_media_related ON hazards_media(related_id);
CREATE INDEX eo_finds_media_related ON eo_finds_media(related_id);
CREATE INDEX accidents_media_related ON accidents_media(related_id);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES
 ('media', 'attributes', 'media', 'Files attached to reports (photographs, scanned forms, sketch maps, GPS tracks), personal data left out');
INSERT INTO gpkgext_relations (base_table_name, base_primary_column, related_table_name, related_primary_column,
    relation_name, mapping_table_name) VALUES
 ('hazards', 'fid', 'media', 'id', 'media', 'hazards_media'),
 ('eo_finds', 'fid', 'media', 'id', 'media', 'eo_finds_media'),
 ('accidents', 'fid', 'media', 'id', 'media', 'accidents_media');
INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES
 ('gpkgext_relations', NULL, 'gpkg_related_tables', 'http://docs.opengeospatial.org/is/18-000/18-000.html', 'read-write'),
 ('hazards_media', NULL, 'gpkg_related_tables', 'http://docs.opengeospatial.org/is/18-000/18-000.html', 'read-write'),
 ('eo_finds_media', NULL, 'gpkg_related_tables', 'http://docs.opengeospatial.org/is/18-000/18-000.html', 'read-write'),
 ('accidents_media', NULL, 'gpkg_related_tables', 'http://docs.opengeospatial.org/is/18-000/18-000.html', 'read-write');

INSERT INTO event_kinds (kind) VALUES ('ATTACHMENT_ADDED');
