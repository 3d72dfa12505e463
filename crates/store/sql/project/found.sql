-- EO the tasks of project ?4 found from ?2 to ?3 (dates, inclusive), recorded
-- before ?1 and still held then (by the finding activity's task, else the
-- report's): type, quantity.
SELECT f.eo_type, sum(f.quantity)
FROM eo_finds f
LEFT JOIN activities a ON a.id = f.activity_id
LEFT JOIN reports rep ON rep.id = f.report_id
WHERE f.found_on >= ?2 AND f.found_on <= ?3
  AND coalesce(f.recorded_at, '') < ?1 AND (f.revoked_at IS NULL OR f.revoked_at >= ?1)
  AND coalesce(a.task_id, rep.task_id) IN (SELECT task_id FROM project_tasks WHERE project_id = ?4)
GROUP BY f.eo_type
ORDER BY f.eo_type
