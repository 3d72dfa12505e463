-- The tasks project ?1 funds: code, hazard, district, organisation, status, issue day.
SELECT t.code, h.code, coalesce(d.name, '(no district)'), o.acronym, t.status, t.issued_on
FROM project_tasks pt
JOIN tasks t ON t.id = pt.task_id
JOIN hazards h ON h.id = t.hazard_id
JOIN organisations o ON o.id = t.organisation_id
LEFT JOIN districts d ON d.id = h.district_id
WHERE pt.project_id = ?1
ORDER BY t.code
