-- Released ground in force before ?1, optionally in district ?2.
SELECT r.geom, r.id, h.code, r.outcome, r.released_on, r.area_m2, o.acronym, r.report_id, r.recorded_at
FROM released_areas r
JOIN hazards h ON h.id = r.hazard_id
JOIN districts d ON d.id = h.district_id
JOIN organisations o ON o.id = r.organisation_id
WHERE coalesce(r.recorded_at, '') < ?1 AND (r.revoked_at IS NULL OR r.revoked_at >= ?1)
  AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY r.fid
