-- Ground released from ?2 to ?3 (dates, inclusive), recorded before ?1:
-- organisation, district, method (else the activity's kind), day, outcome,
-- area, activity. ?4: a project's id, to count its tasks' work only ('' for all).
SELECT o.acronym, coalesce(d.name, '(no district)'), coalesce(a.method, a.kind), r.released_on, r.outcome,
       r.area_m2, r.activity_id
FROM released_areas r
JOIN activities a ON a.id = r.activity_id
JOIN organisations o ON o.id = r.organisation_id
JOIN hazards h ON h.id = r.hazard_id
LEFT JOIN districts d ON d.id = h.district_id
WHERE r.released_on >= ?2 AND r.released_on <= ?3
  AND coalesce(r.recorded_at, '') < ?1 AND (r.revoked_at IS NULL OR r.revoked_at >= ?1)
  AND (?4 = '' OR a.task_id IN (SELECT task_id FROM project_tasks WHERE project_id = ?4))
ORDER BY r.id
