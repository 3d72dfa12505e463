-- Residual-risk records in force (only those whose investigation is open
-- when ?1 is 1), the latest find first, with what was found, the ground it
-- was found in and the investigation task.
SELECT r.id,
  CASE WHEN r.eo_find_id IS NOT NULL THEN 'EO_FIND' ELSE 'ACCIDENT' END,
  r.geom, r.found_on,
  CASE WHEN r.eo_find_id IS NOT NULL
    THEN e.eo_type || ' (' || e.category || ') x ' || e.quantity
    ELSE x.device_category || ' accident: killed ' || x.killed || ', injured ' || x.injured END,
  h.code, d.name, r.released_area_id, rel.acronym, r.released_on, a.outcome,
  t.code, inv.acronym, t.status, r.report_id, t.due_on
FROM residuals r
JOIN hazards h ON h.id = r.hazard_id
JOIN districts d ON d.id = h.district_id
JOIN released_areas a ON a.id = r.released_area_id
JOIN organisations rel ON rel.id = r.released_by
JOIN tasks t ON t.id = r.task_id
JOIN organisations inv ON inv.id = t.organisation_id
LEFT JOIN eo_finds e ON e.id = r.eo_find_id
LEFT JOIN accidents x ON x.id = r.accident_id
WHERE r.revoked_at IS NULL AND (?1 = 0 OR t.status IN ('ISSUED', 'IN_PROGRESS'))
ORDER BY r.found_on DESC, r.fid DESC
