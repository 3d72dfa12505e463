-- Each report's state, and who decided it when, must be what its last event says.
WITH last_seq AS (
  SELECT report_id, max(seq) AS seq FROM events
  WHERE report_id IS NOT NULL AND kind LIKE 'REPORT_%' GROUP BY report_id
),
last AS (SELECT e.report_id, e.kind, e.actor, e.at FROM last_seq l JOIN events e ON e.seq = l.seq)
SELECT 'report ' || r.id || CASE WHEN last.kind IS NULL THEN ' has no event in the history'
  ELSE ' is ' || r.state || ' (decided by ' || coalesce(r.decided_by, 'nobody') || ') but its last event is '
    || last.kind || ' by ' || last.actor END
FROM reports r LEFT JOIN last ON last.report_id = r.id
WHERE last.kind IS NULL
   OR r.state IS DISTINCT FROM CASE last.kind WHEN 'REPORT_DRAFTED' THEN 'DRAFT' WHEN 'REPORT_SUBMITTED' THEN 'SUBMITTED'
        WHEN 'REPORT_APPROVED' THEN 'APPROVED' WHEN 'REPORT_REJECTED' THEN 'REJECTED'
        WHEN 'REPORT_UNAPPROVED' THEN 'UNAPPROVED' END
   OR (last.kind IN ('REPORT_APPROVED', 'REPORT_REJECTED', 'REPORT_UNAPPROVED')
       AND (r.decided_by IS DISTINCT FROM last.actor OR r.decided_at IS DISTINCT FROM last.at))
LIMIT 50
