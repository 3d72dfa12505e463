-- EO found in hazard ?1 and in force: type, quantity, disposal.
SELECT f.eo_type, f.quantity, f.disposal
FROM eo_finds f
WHERE f.hazard_id = ?1 AND f.revoked_at IS NULL
ORDER BY f.id
