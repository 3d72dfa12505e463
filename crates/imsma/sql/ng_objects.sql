-- Every object of one IMSMA NG object table, one row each, in local id order:
-- its whole row as JSON (so any column can be mapped) and its shapes with
-- their points, ordered by pointno (geocheck's order). The names in braces are
-- filled from a fixed list of object tables (safeground_imsma::ng::Object),
-- never from input.
SELECT
    o.{guid}::text AS guid,
    o.{localid}::text AS localid,
    to_jsonb(o)::text AS record,
    coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'guid', g.geospatialinfo_guid::text,
                   'shape_id', g.shape_id::text,
                   'kind', e.enumvalue::text,
                   'active', g.isactive,
                   'entered', g.dataentrydate::date::text,
                   'points', coalesce((
                       SELECT jsonb_agg(jsonb_build_array(p.pointno, p.pointlocal_id::text, p.longitude, p.latitude)
                                        ORDER BY p.pointno, p.geopoint_guid)
                       FROM geopoint p
                       WHERE p.geospatialinfo_guid = g.geospatialinfo_guid), '[]'::jsonb))
               ORDER BY g.shape_id, g.geospatialinfo_guid)
        FROM {link} l
        JOIN geospatialinfo g ON g.geospatialinfo_guid = l.geospatialinfo_guid
        LEFT JOIN imsmaenum e ON e.imsmaenum_guid = g.shapeenum_guid
        WHERE l.{link_key} = o.{guid}), '[]'::jsonb)::text AS shapes
FROM {table} o
ORDER BY o.{localid}, o.{guid}
