-- Organisations (?1 and ?2 are unused: reference data has no history and no district).
SELECT NULL, o.id, o.acronym, o.name, o.kind, o.country
FROM organisations o
WHERE ?1 IS NOT NULL AND (?2 IS NULL OR ?2 IS NOT NULL)
ORDER BY o.acronym
