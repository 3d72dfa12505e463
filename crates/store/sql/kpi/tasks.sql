-- Tasks completed (their status now) whose last activity recorded before ?1
-- ended from ?2 to ?3 (dates, inclusive): organisation, district, the last
-- activity's method (else kind), the day it ended, the day the task was
-- issued, and whether any of its activities found EO. ?4: a project's id, to
-- count its tasks only ('' for all).
SELECT o.acronym, coalesce(d.name, '(no district)'), max(coalesce(a.method, a.kind)), max(a.end_date), t.issued_on,
       CASE WHEN EXISTS (SELECT 1 FROM eo_finds f JOIN activities fa ON fa.id = f.activity_id
                         WHERE fa.task_id = t.id AND coalesce(f.recorded_at, '') < ?1
                           AND (f.revoked_at IS NULL OR f.revoked_at >= ?1)) THEN 1 ELSE 0 END
FROM tasks t
JOIN activities a ON a.task_id = t.id
JOIN organisations o ON o.id = t.organisation_id
JOIN hazards h ON h.id = t.hazard_id
LEFT JOIN districts d ON d.id = h.district_id
WHERE t.status = 'COMPLETED' AND (?4 = '' OR t.id IN (SELECT task_id FROM project_tasks WHERE project_id = ?4))
  AND coalesce(a.recorded_at, '') < ?1 AND (a.revoked_at IS NULL OR a.revoked_at >= ?1)
GROUP BY t.id, o.acronym, d.name, t.issued_on
HAVING max(a.end_date) >= ?2 AND max(a.end_date) <= ?3
ORDER BY t.id
