-- The ground released from one hazard, oldest first, with who released it and how.
SELECT r.id, r.outcome, r.released_on, r.area_m2, a.kind, a.method, o.acronym, a.id, r.report_id, r.revoked_at
FROM released_areas r
JOIN activities a ON a.id = r.activity_id
JOIN organisations o ON o.id = r.organisation_id
WHERE r.hazard_id = ?1
ORDER BY r.released_on, r.fid
