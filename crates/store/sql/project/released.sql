-- Ground the tasks of project ?4 released from ?2 to ?3 (dates, inclusive),
-- recorded before ?1 and still held then: outcome, polygon.
SELECT r.outcome, r.geom
FROM released_areas r
JOIN activities a ON a.id = r.activity_id
WHERE r.released_on >= ?2 AND r.released_on <= ?3
  AND coalesce(r.recorded_at, '') < ?1 AND (r.revoked_at IS NULL OR r.revoked_at >= ?1)
  AND a.task_id IN (SELECT task_id FROM project_tasks WHERE project_id = ?4)
ORDER BY r.id
