-- Every object of one IMSMA NG object table, one row each, in local id order:
-- its whole row as JSON with its custom defined fields (so any column or CDF
-- can be mapped; the cdfs query is sql/ng_cdf_values.sql, or none where the
-- database has no CDFs for the table), its info versions (sql/ng_versions.sql,
-- each with its own shapes, or none where the database keeps none), the
-- devices recorded on it (a hazard reduction's `hazreducdeviceinfo` with its
-- `ordnance`, where the database has them) and its shapes with
-- their points, ordered by pointno (geocheck's order), each with the leg the
-- field walked to it (bearing and distance from another point) where it has one. The names in braces are
-- filled from a fixed list of object tables (safeground_imsma::Object),
-- never from input; {order} is empty, or orders by a date: a column of the
-- table found in information_schema and quoted, else the day its active
-- polygons were entered.
--
-- Set-based: NG's link and point tables need have no index (the fixture's have
-- none), so shapes and points are aggregated once by hash joins; a subquery
-- per object would scan them once per object.
WITH linked AS (
    SELECT l.{link_key}::text AS owner, l.geospatialinfo_guid FROM {link} l
    {version_links}
),
points AS (
    SELECT p.geospatialinfo_guid,
           jsonb_agg(jsonb_build_array(p.pointno, p.pointlocal_id::text, p.longitude, p.latitude,
                                       p.geopoint_guid::text, p.bearing, p.distance, p.frompoint_guid::text)
                     ORDER BY p.pointno, p.geopoint_guid) AS points
    FROM geopoint p
    WHERE p.geospatialinfo_guid IN (SELECT geospatialinfo_guid FROM linked)
    GROUP BY p.geospatialinfo_guid
),
shapes AS (
    SELECT k.owner,
           jsonb_agg(jsonb_build_object(
                   'guid', g.geospatialinfo_guid::text,
                   'shape_id', g.shape_id::text,
                   'kind', e.enumvalue::text,
                   'active', g.isactive,
                   'entered', g.dataentrydate::date::text,
                   'points', coalesce(pt.points, '[]'::jsonb))
               ORDER BY g.shape_id, g.geospatialinfo_guid) AS shapes,
           min(g.dataentrydate::date::text) FILTER (WHERE g.isactive IS NOT FALSE AND e.enumvalue = 'Polygon')
               AS entered
    FROM linked k
    JOIN geospatialinfo g ON g.geospatialinfo_guid = k.geospatialinfo_guid
    LEFT JOIN imsmaenum e ON e.imsmaenum_guid = g.shapeenum_guid
    LEFT JOIN points pt ON pt.geospatialinfo_guid = g.geospatialinfo_guid
    GROUP BY k.owner
),
cdfs AS (
    {cdfs}
),
versions AS (
    {versions}
),
devices AS (
    {devices}
)
SELECT
    o.{guid}::text AS guid,
    o.{localid}::text AS localid,
    (to_jsonb(o) || coalesce(c.cdfs, '{}'::jsonb))::text AS record,
    coalesce(s.shapes, '[]'::jsonb)::text AS shapes,
    coalesce(v.versions, '[]'::jsonb)::text AS versions,
    coalesce(dv.devices, '[]'::jsonb)::text AS devices
FROM {table} o
LEFT JOIN shapes s ON s.owner = o.{guid}::text
LEFT JOIN cdfs c ON c.owner = o.{guid}::text
LEFT JOIN versions v ON v.owner = o.{guid}::text
LEFT JOIN devices dv ON dv.owner = o.{guid}::text
ORDER BY {order} o.{localid}, o.{guid}
