-- The peer of bench/run.sh's row 8: what GICHD's geocheck approach does with
-- an IMSMA NG database in PostGIS, over the same hazards our migration reads
-- (our own SQL, after the structure in tests/fixtures/imsma_ng/README.md):
-- each active polygon shape's ring from its points in pointno order, closed,
-- tested for validity, and measured on the ellipsoid. It migrates nothing;
-- `import-imsma ng` does this and more (repairs, geocheck's other defects,
-- the mapping, approval, the register's writes and history).
WITH rings AS (
    SELECT l.hazard_guid, g.geospatialinfo_guid,
           ST_MakeLine(ST_MakePoint(p.longitude, p.latitude) ORDER BY p.pointno) AS line
    FROM hazard_has_geospatialinfo l
    JOIN geospatialinfo g ON g.geospatialinfo_guid = l.geospatialinfo_guid
    JOIN imsmaenum e ON e.imsmaenum_guid = g.shapeenum_guid AND e.enumvalue = 'Polygon'
    JOIN geopoint p ON p.geospatialinfo_guid = g.geospatialinfo_guid
    WHERE g.isactive IS NOT FALSE
    GROUP BY l.hazard_guid, g.geospatialinfo_guid
),
polygons AS (
    SELECT hazard_guid, ST_MakePolygon(ST_AddPoint(line, ST_StartPoint(line))) AS polygon
    FROM rings
    WHERE ST_NPoints(line) >= 3
)
SELECT count(DISTINCT hazard_guid) AS hazards,
       count(*) FILTER (WHERE NOT ST_IsValid(polygon)) AS invalid,
       round(sum(ST_Area(polygon::geography))::numeric / 1e6, 6) AS km2
FROM polygons;
