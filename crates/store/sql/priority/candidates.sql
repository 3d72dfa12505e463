-- The hazards in force a ranking may keep (the statuses below are replaced by
-- the scenario's filter), with their district, contamination, land use,
-- remaining ground, strongest evidence (3 HIGH, 2 MEDIUM, 1 LOW) and polygon.
SELECT h.id, h.code, h.name, d.name, h.kind, h.status, h.contamination, h.land_use, h.area_remaining_m2,
  (SELECT max(CASE e.confidence WHEN 'HIGH' THEN 3 WHEN 'MEDIUM' THEN 2 WHEN 'LOW' THEN 1 END)
   FROM hazard_evidence e WHERE e.hazard_id = h.id),
  h.geom
FROM hazards h
JOIN districts d ON d.id = h.district_id
WHERE h.revoked_at IS NULL AND h.status IN ('OPEN', 'WORKED_ON')
ORDER BY h.code
