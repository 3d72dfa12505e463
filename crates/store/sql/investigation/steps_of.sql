-- The steps of investigation ?1 (its UUID), as `steps.sql` gives every
-- investigation's, by the index of steps by investigation.
-- Its columns and joins are `steps.sql`'s: change both together.
SELECT s.investigation_id, s.kind, s.on_day, s.members, s.findings, s.recommendations
FROM investigation_steps s
JOIN investigations i ON i.id = s.investigation_id AND i.withdrawn_at IS NULL
JOIN events e ON e.subject = s.id AND e.kind IN ('INVESTIGATION_BOARD', 'INVESTIGATION_CONCLUDED')
WHERE s.investigation_id = CAST(?1 AS TEXT)
ORDER BY e.seq
