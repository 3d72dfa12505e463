-- The non-conformities in force raised from investigation ?1's
-- recommendations, as `ncrs.sql` gives every investigation's, by the index
-- of non-conformities by investigation (schema 21).
-- Its columns and joins are `ncrs.sql`'s: change both together.
SELECT n.investigation_id, n.recommendation, n.code
FROM non_conformities n
WHERE n.investigation_id = CAST(?1 AS TEXT) AND n.withdrawn_at IS NULL
ORDER BY n.investigation_id, n.recommendation
