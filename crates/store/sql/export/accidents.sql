-- Accidents (no personal data) recorded before ?1, optionally in district ?2.
-- `organisation` is who reported the accident.
SELECT a.geom, a.id, a.kind, a.occurred_on, d.name, a.device_category, a.activity_at_time, a.area_marked,
       a.cause, a.killed, a.injured, h.code, o.acronym, a.report_id
FROM accidents a
LEFT JOIN districts d ON d.id = a.district_id
LEFT JOIN hazards h ON h.id = a.hazard_id
LEFT JOIN reports rep ON rep.id = a.report_id
LEFT JOIN organisations o ON o.id = rep.organisation_id
WHERE coalesce(a.recorded_at, '') < ?1 AND (a.revoked_at IS NULL OR a.revoked_at >= ?1)
  AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY a.fid
