-- What assistance's rules need of victim ?1, if its accident is in force:
-- outcome, age, the accident's day.
SELECT v.outcome, v.age, a.occurred_on
FROM victims v
JOIN accidents a ON a.id = v.accident_id
WHERE v.id = ?1 AND a.revoked_at IS NULL
