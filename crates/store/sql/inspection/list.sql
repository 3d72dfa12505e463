-- Quality-management inspections in force, the latest first: only those of
-- hazard code ?1 unless it is empty, only those of organisation ?2 (the one
-- inspected, or one whose released ground it names) unless it is empty.
SELECT i.id, i.report_id, i.kind, i.result, i.inspected_on, h.code, t.code, o.acronym,
  i.items_found, i.sample_m2, i.inspected_m2, i.geom, ro.acronym
FROM inspections i
JOIN reports r ON r.id = i.report_id
JOIN organisations ro ON ro.id = r.organisation_id
LEFT JOIN hazards h ON h.id = i.hazard_id
LEFT JOIN tasks t ON t.id = i.task_id
LEFT JOIN organisations o ON o.id = i.organisation_id
WHERE i.revoked_at IS NULL
  AND (?1 = '' OR lower(h.code) = lower(?1))
  AND (?2 = '' OR i.organisation_id = ?2 OR EXISTS (
    SELECT 1 FROM inspection_areas x JOIN released_areas a ON a.id = x.released_area_id
    WHERE x.inspection_id = i.id AND a.organisation_id = ?2))
ORDER BY i.inspected_on DESC, i.fid DESC
