-- Items of EO destroyed (in situ, or removed and destroyed) by district and category.
SELECT coalesce(d.name, '(no district)'), e.category, sum(e.quantity)
FROM eo_finds e
LEFT JOIN districts d ON d.id = e.district_id
WHERE e.disposal IN ('DESTROYED_IN_SITU', 'REMOVED_AND_DESTROYED')
GROUP BY 1, 2
