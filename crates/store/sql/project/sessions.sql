-- Risk education held from ?2 to ?3 (dates, inclusive), recorded before ?1 and
-- still held then, reported under a task of project ?4: sessions and people reached.
SELECT count(*), coalesce(sum(s.girls), 0), coalesce(sum(s.boys), 0), coalesce(sum(s.women), 0),
       coalesce(sum(s.men), 0)
FROM eore_sessions s
JOIN reports rep ON rep.id = s.report_id
WHERE s.held_on >= ?2 AND s.held_on <= ?3
  AND coalesce(s.recorded_at, '') < ?1 AND (s.revoked_at IS NULL OR s.revoked_at >= ?1)
  AND rep.task_id IN (SELECT task_id FROM project_tasks WHERE project_id = ?4)
