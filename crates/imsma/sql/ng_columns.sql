-- The columns of one object table, in the table's order, for the mapping
-- template.
SELECT column_name::text, data_type::text
FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1
ORDER BY ordinal_position
