-- The released areas of the inspections in force, in the order they were named.
SELECT a.inspection_id, a.released_area_id, a.reopened
FROM inspection_areas a
JOIN inspections i ON i.id = a.inspection_id
WHERE i.revoked_at IS NULL
ORDER BY a.fid
