-- One investigation in force, by its code (in any case) or UUID ?1, with the
-- columns of `list.sql`: looked up by the unique index of each, where an OR
-- of the two with "no key" was a scan of every investigation (the demo asks
-- it at every step of every board: quadratic).
-- Its columns and joins are `list.sql`'s: change both together.
SELECT i.id, i.code, i.accident_id, a.kind, a.occurred_on, d.name, i.opened_on, i.opened_by, i.opened_by_report
FROM investigations i
JOIN accidents a ON a.id = i.accident_id
LEFT JOIN districts d ON d.id = a.district_id
WHERE i.withdrawn_at IS NULL AND a.revoked_at IS NULL
  AND i.id IN (SELECT id FROM investigations WHERE code = upper(CAST(?1 AS TEXT))
               UNION ALL SELECT id FROM investigations WHERE id = CAST(?1 AS TEXT))
ORDER BY i.opened_on DESC, i.code DESC
