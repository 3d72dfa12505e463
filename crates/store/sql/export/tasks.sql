-- Tasks issued before ?1, optionally on hazards in district ?2. No geometry.
SELECT NULL, t.id, t.code, h.code, o.acronym, t.activity, t.priority, t.status, t.issued_on, t.due_on
FROM tasks t
JOIN hazards h ON h.id = t.hazard_id
JOIN districts d ON d.id = h.district_id
JOIN organisations o ON o.id = t.organisation_id
WHERE coalesce(t.recorded_at, '') < ?1
  AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY t.code
