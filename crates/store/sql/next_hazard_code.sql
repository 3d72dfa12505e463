-- Hazard codes of the form PREFIX-NNNNNN (?1 = PREFIX), highest first,
-- walked backwards along the unique index on hazards(code): six-digit serials
-- sort as their numbers do. The caller stops at the first whose serial is all
-- digits; codes of any other length are not read.
SELECT code FROM hazards
WHERE code BETWEEN ?1 || '-000000' AND ?1 || '-999999'
  AND length(code) = length(?1) + 7
ORDER BY code DESC
LIMIT 64
