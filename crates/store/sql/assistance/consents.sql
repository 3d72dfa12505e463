-- The consents of the victims of the accidents in force, each with its
-- withdrawal, in the order they were given. `consents_of.sql` reads one
-- victim's by its index: its columns and joins are these, change both together.
SELECT c.victim_id, c.id, c.given_on, c.given_by, c.form, w.withdrawn_on, c.actor
FROM victim_consents c
JOIN victims v ON v.id = c.victim_id
JOIN accidents a ON a.id = v.accident_id
LEFT JOIN consent_withdrawals w ON w.consent_id = c.id
WHERE a.revoked_at IS NULL
ORDER BY c.victim_id, c.given_on, c.fid
