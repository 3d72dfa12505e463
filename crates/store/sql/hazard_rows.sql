-- Hazards with their district name, filtered by optional district (name or
-- English name, case-insensitive) and status.
SELECT h.id, h.code, h.name, h.kind, h.status, d.name, h.contamination, h.land_use, h.recorded_on,
       o.acronym,
       h.area_recorded_m2, h.area_cancelled_m2, h.area_reduced_m2, h.area_cleared_m2, h.area_remaining_m2,
       h.version
FROM hazards h
JOIN districts d ON d.id = h.district_id
JOIN organisations o ON o.id = h.recorded_by
WHERE h.revoked_at IS NULL
  AND (?1 IS NULL OR d.name = ?1 COLLATE NOCASE OR d.alt_name = ?1 COLLATE NOCASE)
  AND (?2 IS NULL OR h.status = ?2)
  AND (?3 IS NULL OR h.id = ?3 OR h.code = ?3 COLLATE NOCASE)
ORDER BY h.code
