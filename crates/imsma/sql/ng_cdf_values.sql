-- The custom defined fields (CDFs) of one object table's records. NG keeps a
-- programme's own fields outside the object table: cdfvalue rows of a
-- customdefinedfield, linked to their record by {cdf_link} (GICHD's geocheck
-- ToolBox reads them so). One JSON object per record, each field named 'cdf:'
-- and its name; several values of one field (a multi-select) joined by ', '.
-- The names in braces come from information_schema, quoted, never from input.
SELECT owner, jsonb_object_agg('cdf:' || name, value) AS cdfs
FROM (
    SELECT owner, name, string_agg(value, ', ' ORDER BY value) AS value
    FROM (
        SELECT l.{cdf_owner}::text AS owner, f.name::text AS name,
               coalesce(v.stringvalue::text, to_char(v.datevalue, 'YYYY-MM-DD HH24:MI:SS'),
                        v.numbervalue::text, v.organisation_value::text, v.place_value::text,
                        v.gazetteer_value::text) AS value
        FROM {cdf_link} l
        JOIN cdfvalue v ON v.cdfvalue_guid = l.{cdf_value}
        JOIN customdefinedfield f ON f.cdf_id = v.cdf_id
    ) cdf_rows
    WHERE value IS NOT NULL
    GROUP BY owner, name
) per_field
GROUP BY owner
