-- Tasks with their hazard, district and organisation, filtered by
-- organisation (?1, UUID), status (?2), hazard (?3, code or UUID), code (?7) and, when
-- ?4 is a day, only those still open (issued or in progress) and due before
-- it; the soonest due first (those with no due date last), one page
-- (LIMIT ?5 OFFSET ?6), each row with the count of all that match.
SELECT t.code, h.code, h.name, d.name, o.acronym, t.activity, t.priority, t.status, t.issued_on, t.due_on,
       count(*) OVER () AS matching, t.cancelled_on
FROM tasks t
JOIN hazards h ON h.id = t.hazard_id
JOIN districts d ON d.id = h.district_id
JOIN organisations o ON o.id = t.organisation_id
WHERE (CAST(?1 AS TEXT) IS NULL OR t.organisation_id = CAST(?1 AS TEXT))
  AND (CAST(?2 AS TEXT) IS NULL OR t.status = CAST(?2 AS TEXT))
  AND (CAST(?3 AS TEXT) IS NULL OR h.id = CAST(?3 AS TEXT) OR upper(h.code) = upper(CAST(?3 AS TEXT)))
  AND (CAST(?4 AS TEXT) IS NULL OR (t.status IN ('ISSUED', 'IN_PROGRESS') AND CAST(t.due_on AS TEXT) < CAST(?4 AS TEXT)))
  AND (CAST(?7 AS TEXT) IS NULL OR upper(t.code) = upper(CAST(?7 AS TEXT)))
ORDER BY t.due_on IS NULL, t.due_on, t.code
LIMIT ?5 OFFSET ?6
