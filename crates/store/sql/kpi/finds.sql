-- EO found from ?2 to ?3 (dates, inclusive), recorded before ?1: the
-- organisation of its activity (else of its report), district, method (else
-- the activity's kind, else '(no activity)'), day, quantity, activity. ?4: a
-- project's id, to count its tasks' finds only (by activity, else report; '' for all).
SELECT coalesce(oa.acronym, orep.acronym, '(unknown)'), coalesce(d.name, '(no district)'),
       coalesce(a.method, a.kind, '(no activity)'), f.found_on, f.quantity, f.activity_id
FROM eo_finds f
LEFT JOIN activities a ON a.id = f.activity_id
LEFT JOIN organisations oa ON oa.id = a.organisation_id
LEFT JOIN reports rep ON rep.id = f.report_id
LEFT JOIN organisations orep ON orep.id = rep.organisation_id
LEFT JOIN districts d ON d.id = f.district_id
WHERE f.found_on >= ?2 AND f.found_on <= ?3
  AND coalesce(f.recorded_at, '') < ?1 AND (f.revoked_at IS NULL OR f.revoked_at >= ?1)
  AND (?4 = '' OR coalesce(a.task_id, rep.task_id) IN (SELECT task_id FROM project_tasks WHERE project_id = ?4))
ORDER BY f.id
