-- The non-conformities in force raised from the investigations'
-- recommendations: investigation, recommendation number, code.
SELECT n.investigation_id, n.recommendation, n.code
FROM non_conformities n
WHERE n.investigation_id IS NOT NULL AND n.withdrawn_at IS NULL
ORDER BY n.investigation_id, n.recommendation
