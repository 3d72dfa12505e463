-- The consents of victim ?1, if its accident is in force, each with its
-- withdrawal, in the order they were given: `consents.sql` for one victim, by
-- the index of consents by victim. Its columns and joins are `consents.sql`'s:
-- change both together.
SELECT c.victim_id, c.id, c.given_on, c.given_by, c.form, w.withdrawn_on, c.actor
FROM victim_consents c
JOIN victims v ON v.id = c.victim_id
JOIN accidents a ON a.id = v.accident_id
LEFT JOIN consent_withdrawals w ON w.consent_id = c.id
WHERE c.victim_id = CAST(?1 AS TEXT) AND a.revoked_at IS NULL
ORDER BY c.victim_id, c.given_on, c.fid
