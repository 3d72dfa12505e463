-- The investigations in force, the latest opened first: the accident they
-- are into, and who opened them. One of them: `one.sql`.
SELECT i.id, i.code, i.accident_id, a.kind, a.occurred_on, d.name, i.opened_on, i.opened_by, i.opened_by_report
FROM investigations i
JOIN accidents a ON a.id = i.accident_id
LEFT JOIN districts d ON d.id = a.district_id
WHERE i.withdrawn_at IS NULL AND a.revoked_at IS NULL
ORDER BY i.opened_on DESC, i.code DESC
