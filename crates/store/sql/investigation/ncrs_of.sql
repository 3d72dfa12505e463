-- The non-conformities in force raised from investigation ?1's
-- recommendations, as `ncrs.sql` gives every investigation's.
SELECT n.investigation_id, n.recommendation, n.code
FROM non_conformities n
WHERE n.investigation_id = CAST(?1 AS TEXT) AND n.withdrawn_at IS NULL
ORDER BY n.investigation_id, n.recommendation
