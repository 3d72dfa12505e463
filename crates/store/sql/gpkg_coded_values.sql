-- The coded values of one table's columns, from the GeoPackage schema
-- extension: each column's constraint (gpkg_data_columns) and, for an
-- 'enum' constraint, one row per value with its description
-- (gpkg_data_column_constraints). ?1: the table.
SELECT dc.column_name, c.value, coalesce(c.description, c.value)
FROM gpkg_data_columns dc
JOIN gpkg_data_column_constraints c
  ON c.constraint_name = dc.constraint_name AND c.constraint_type = 'enum'
WHERE dc.table_name = ?1 COLLATE NOCASE AND c.value IS NOT NULL
ORDER BY dc.column_name, c.value
