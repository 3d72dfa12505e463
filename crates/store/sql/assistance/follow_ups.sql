-- The follow-ups of the victims of the accidents in force, in the order of
-- their days.
SELECT f.victim_id, f.id, f.kind, f.status, f.given_on, f.provider, f.notes, f.actor
FROM assistance f
JOIN victims v ON v.id = f.victim_id
JOIN accidents a ON a.id = v.accident_id
WHERE a.revoked_at IS NULL
ORDER BY f.victim_id, f.given_on, f.fid
