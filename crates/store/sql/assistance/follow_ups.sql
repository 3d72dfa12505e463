-- The follow-ups of the victims of the accidents in force (optionally of
-- victim ?1), in the order of their days.
SELECT f.victim_id, f.id, f.kind, f.status, f.given_on, f.provider, f.notes, f.actor
FROM assistance f
JOIN victims v ON v.id = f.victim_id
JOIN accidents a ON a.id = v.accident_id
WHERE a.revoked_at IS NULL AND (CAST(?1 AS TEXT) IS NULL OR f.victim_id = CAST(?1 AS TEXT))
ORDER BY f.victim_id, f.given_on, f.fid
