-- Ground released per month and outcome, in force now, optionally in district ?1.
SELECT substr(r.released_on, 1, 7), r.outcome, sum(r.area_m2)
FROM released_areas r
JOIN hazards h ON h.id = r.hazard_id
JOIN districts d ON d.id = h.district_id
WHERE r.revoked_at IS NULL
  AND (?1 IS NULL OR d.name = ?1 COLLATE NOCASE OR d.alt_name = ?1 COLLATE NOCASE)
GROUP BY 1, 2
ORDER BY 1, 2
