-- The ground of hazard ?1 released and in force: outcome, area, day, organisation,
-- the activity's kind, method and depth, polygon.
SELECT r.outcome, r.area_m2, r.released_on, o.acronym, a.kind, a.method, a.depth_cm, r.geom
FROM released_areas r
JOIN activities a ON a.id = r.activity_id
JOIN organisations o ON o.id = r.organisation_id
WHERE r.hazard_id = ?1 AND r.revoked_at IS NULL
ORDER BY r.released_on, r.id
