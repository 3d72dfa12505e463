-- The steps of the investigations in force (of one: `steps_of.sql`), in
-- the order of the sealed events that recorded them (a row's
-- fid is no part of any seal).
SELECT s.investigation_id, s.kind, s.on_day, s.members, s.findings, s.recommendations
FROM investigation_steps s
JOIN investigations i ON i.id = s.investigation_id AND i.withdrawn_at IS NULL
JOIN events e ON e.subject = s.id AND e.kind IN ('INVESTIGATION_BOARD', 'INVESTIGATION_CONCLUDED')
ORDER BY e.seq
