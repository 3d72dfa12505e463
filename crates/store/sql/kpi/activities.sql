-- Activities that ended from ?2 to ?3 (dates, inclusive), recorded before
-- ?1: organisation, district, method (else kind), end day, id, hours worked.
-- ?4: a project's id, to count its tasks' activities only ('' for all).
SELECT o.acronym, coalesce(d.name, '(no district)'), coalesce(a.method, a.kind), a.end_date, a.id, a.hours_worked
FROM activities a
JOIN organisations o ON o.id = a.organisation_id
LEFT JOIN hazards h ON h.id = a.hazard_id
LEFT JOIN districts d ON d.id = h.district_id
WHERE a.end_date >= ?2 AND a.end_date <= ?3
  AND coalesce(a.recorded_at, '') < ?1 AND (a.revoked_at IS NULL OR a.revoked_at >= ?1)
  AND (?4 = '' OR a.task_id IN (SELECT task_id FROM project_tasks WHERE project_id = ?4))
ORDER BY a.id
