-- Hazard codes of the form PREFIX-NNNNNN, highest first (?1 = 'PREFIX-000000',
-- ?2 = 'PREFIX-999999', ?3 = their length), in any case (codes are compared
-- case-insensitively, and a hand-typed 'az-am-000300' holds AZ-AM-000300),
-- walked backwards along the index hazards_code_nocase: six-digit serials sort
-- as their numbers do. The caller takes the first whose serial is all digits.
SELECT code FROM hazards
WHERE code COLLATE NOCASE BETWEEN ?1 AND ?2
  AND length(code) = ?3
ORDER BY code COLLATE NOCASE DESC
LIMIT 64
