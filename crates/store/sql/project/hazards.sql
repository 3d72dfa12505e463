-- The hazards of project ?2's tasks as they stood just before ?1: kind, polygon.
SELECT v.kind, v.geom
FROM hazard_versions v
WHERE v.hazard_id IN (SELECT t.hazard_id FROM project_tasks pt JOIN tasks t ON t.id = pt.task_id
                      WHERE pt.project_id = ?2)
  AND v.valid_from < ?1 AND (v.valid_to IS NULL OR v.valid_to >= ?1)
ORDER BY v.hazard_id
