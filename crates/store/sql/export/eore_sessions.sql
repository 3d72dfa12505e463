-- EORE sessions recorded before ?1, optionally in district ?2; the
-- people with a disability among those reached are NULL where not counted.
SELECT s.geom, s.id, o.acronym, s.held_on, s.kind, s.audience, t.name, d.name, s.girls, s.boys, s.women, s.men,
       s.girls_disabled, s.boys_disabled, s.women_disabled, s.men_disabled, s.report_id
FROM eore_sessions s
JOIN organisations o ON o.id = s.organisation_id
LEFT JOIN settlements t ON t.id = s.settlement_id
LEFT JOIN districts d ON d.id = s.district_id
WHERE coalesce(s.recorded_at, '') < ?1 AND (s.revoked_at IS NULL OR s.revoked_at >= ?1)
  AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY s.fid
