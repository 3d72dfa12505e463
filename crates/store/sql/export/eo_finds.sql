-- EO finds recorded before ?1 and not withdrawn by then, optionally in district ?2.
-- `organisation` is who reported the find.
SELECT e.geom, e.id, h.code, d.name, e.found_on, e.category, e.eo_type, e.quantity, e.condition, e.fuze_state,
       e.disposal, o.acronym, e.report_id
FROM eo_finds e
LEFT JOIN hazards h ON h.id = e.hazard_id
LEFT JOIN districts d ON d.id = e.district_id
LEFT JOIN reports rep ON rep.id = e.report_id
LEFT JOIN organisations o ON o.id = rep.organisation_id
WHERE coalesce(e.recorded_at, '') < ?1 AND (e.revoked_at IS NULL OR e.revoked_at >= ?1)
  AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY e.fid
