-- The info versions of one IMSMA NG object table's records ({versions}: for
-- hazards, hazardinfoversion, one row per field report that changed the
-- hazard, as GICHD's geocheck workbench queries read it): per record, each
-- version's whole row, its field report's row ({report}: fieldreport's, or
-- null where the database has none) and its own shapes (the `shapes` query
-- of sql/ng_objects.sql, which holds the versions' links too). Which versions
-- are history, and their dates, the mapping's [versions] decides.
-- The names in braces come from a fixed list, never from input.
SELECT v.{guid}::text AS owner,
       jsonb_agg(jsonb_build_object(
               'guid', v.{version_guid}::text,
               'record', to_jsonb(v),
               'report', {report},
               'shapes', coalesce(s.shapes, '[]'::jsonb))
           ORDER BY v.{version_guid}) AS versions
FROM {versions} v
{report_join}
LEFT JOIN shapes s ON s.owner = v.{version_guid}::text
GROUP BY v.{guid}
