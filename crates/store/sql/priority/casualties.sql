-- Accidents in force up to the day ?1 that killed or injured someone.
SELECT geom, occurred_on, killed + injured FROM accidents
WHERE revoked_at IS NULL AND occurred_on <= ?1 AND killed + injured > 0
ORDER BY fid
