-- A hazard as the register has it now (?1: its id): id, code, version, status,
-- remaining, released (cancelled + reduced + cleared), the day its version holds from.
SELECT h.id, h.code, h.version, h.status, h.area_remaining_m2,
  h.area_cancelled_m2 + h.area_reduced_m2 + h.area_cleared_m2,
  coalesce((SELECT substr(v.valid_from, 1, 10) FROM hazard_versions v WHERE v.hazard_id = h.id
    AND v.version = h.version), h.recorded_on)
FROM hazards h WHERE h.id = ?1 AND h.revoked_at IS NULL
