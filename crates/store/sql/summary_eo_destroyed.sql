-- Items of EO destroyed (in situ, or removed and destroyed) by district and
-- category, as recorded at ?1.
SELECT coalesce(d.name, '(no district)'), e.category, sum(e.quantity)
FROM eo_finds e
LEFT JOIN districts d ON d.id = e.district_id
WHERE e.disposal IN ('DESTROYED_IN_SITU', 'REMOVED_AND_DESTROYED')
  AND coalesce(e.recorded_at, '') < ?1 AND (e.revoked_at IS NULL OR e.revoked_at >= ?1)
GROUP BY 1, 2
