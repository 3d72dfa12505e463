-- Items of EO destroyed by district and category as the register stands:
-- grouped on the district's id first, named after (a million finds join once per group).
SELECT coalesce(d.name, '(no district)'), g.category, g.n
FROM (SELECT district_id, category, sum(quantity) AS n
      FROM eo_finds
      WHERE disposal IN ('DESTROYED_IN_SITU', 'REMOVED_AND_DESTROYED') AND revoked_at IS NULL
      GROUP BY district_id, category) g
LEFT JOIN districts d ON d.id = g.district_id
