-- A synthetic IMSMA NG database for timing `import-imsma ng` (bench/run.sh):
-- :n hazards, each a star of 24 turning points (open ring, NG's way) placed
-- on a grid over Aghdam district, Azerbaijan, with a hazard reduction of every
-- fourth hazard (a smaller star inside it, cancelled). Load after
-- tests/fixtures/imsma_ng/schema.sql with  psql -v n=100000 -f bench/ng_synthetic.sql.
BEGIN;
ALTER TABLE hazard ADD COLUMN hazard_name varchar, ADD COLUMN haztype_guid varchar,
    ADD COLUMN hazclass_guid varchar, ADD COLUMN date_of_report date, ADD COLUMN area_typed double precision;
ALTER TABLE hazreduc ADD COLUMN hazard_guid varchar, ADD COLUMN reductype_guid varchar,
    ADD COLUMN date_released date, ADD COLUMN org_acronym varchar, ADD COLUMN area_typed double precision;
INSERT INTO imsmaenum VALUES ('{E-POLY}', 'Polygon'), ('{E-TP}', 'Turning point'),
    ('{E-AP}', 'Anti-personnel mines'), ('{E-AT}', 'Anti-tank mines'), ('{E-UXO}', 'Unexploded ordnance'),
    ('{E-CHA}', 'Confirmed Hazardous Area'), ('{E-SHA}', 'Suspected Hazardous Area'), ('{E-CAN}', 'Cancelled');

CREATE TEMP TABLE centre AS
SELECT i,
       46.78 + (i % 400) * 0.0006 AS lon,        -- 400 columns, 50 m apart
       39.93 + (i / 400) * 0.0004 AS lat         -- rows 45 m apart (up to 250 rows)
FROM generate_series(0, :n - 1) AS i;

INSERT INTO hazard
SELECT format('{H-%s}', i), format('HA-%s', lpad(i::text, 6, '0')), format('Synthetic hazard %s', i),
       (ARRAY['{E-AP}', '{E-AT}', '{E-UXO}'])[1 + i % 3], (ARRAY['{E-CHA}', '{E-SHA}'])[1 + i % 2],
       DATE '2020-01-01' + (i % 1000), NULL
FROM centre;
INSERT INTO geospatialinfo SELECT format('{G-%s}', i), '{E-POLY}', '1', true, TIMESTAMP '2020-01-02', 'bench', NULL FROM centre;
INSERT INTO hazard_has_geospatialinfo SELECT format('{H-%s}', i), format('{G-%s}', i) FROM centre;
-- A star: radius alternating 18 m and 12 m (in degrees at this latitude), 24 points.
INSERT INTO geopoint (geopoint_guid, geospatialinfo_guid, pointlocal_id, pointno, pointtypeenum_guid, longitude, latitude)
SELECT format('{P-%s-%s}', i, k), format('{G-%s}', i), format('T%s', k), k, '{E-TP}',
       lon + (CASE WHEN k % 2 = 0 THEN 0.00021 ELSE 0.00014 END) * cos(radians(k * 15)),
       lat + (CASE WHEN k % 2 = 0 THEN 0.00016 ELSE 0.00011 END) * sin(radians(k * 15))
FROM centre, generate_series(1, 24) AS k;

INSERT INTO hazreduc
SELECT format('{R-%s}', i), format('HR-%s', lpad(i::text, 6, '0')), format('{H-%s}', i), '{E-CAN}',
       DATE '2023-01-01' + (i % 500), 'ANAMA', NULL
FROM centre WHERE i % 4 = 0;
INSERT INTO geospatialinfo SELECT format('{GR-%s}', i), '{E-POLY}', '1', true, TIMESTAMP '2023-01-02', 'bench', NULL
FROM centre WHERE i % 4 = 0;
INSERT INTO hazreduc_has_geospatialinfo SELECT format('{R-%s}', i), format('{GR-%s}', i) FROM centre WHERE i % 4 = 0;
INSERT INTO geopoint (geopoint_guid, geospatialinfo_guid, pointlocal_id, pointno, pointtypeenum_guid, longitude, latitude)
SELECT format('{PR-%s-%s}', i, k), format('{GR-%s}', i), format('T%s', k), k, '{E-TP}',
       lon + 0.00008 * cos(radians(k * 30)), lat + 0.00006 * sin(radians(k * 30))
FROM centre, generate_series(1, 12) AS k WHERE i % 4 = 0;
COMMIT;
ANALYZE;
