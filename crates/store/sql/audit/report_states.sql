-- Each report's state, and who decided it when, must be what its last event says.
WITH last AS (
  SELECT report_id, kind, actor, at, max(seq) AS seq FROM events
  WHERE report_id IS NOT NULL AND kind LIKE 'REPORT_%' GROUP BY report_id
)
SELECT 'report ' || r.id || CASE WHEN last.kind IS NULL THEN ' has no event in the history'
  ELSE ' is ' || r.state || ' (decided by ' || coalesce(r.decided_by, 'nobody') || ') but its last event is '
    || last.kind || ' by ' || last.actor END
FROM reports r LEFT JOIN last ON last.report_id = r.id
WHERE last.kind IS NULL
   OR r.state IS NOT CASE last.kind WHEN 'REPORT_DRAFTED' THEN 'DRAFT' WHEN 'REPORT_SUBMITTED' THEN 'SUBMITTED'
        WHEN 'REPORT_APPROVED' THEN 'APPROVED' WHEN 'REPORT_REJECTED' THEN 'REJECTED'
        WHEN 'REPORT_UNAPPROVED' THEN 'UNAPPROVED' END
   OR (last.kind IN ('REPORT_APPROVED', 'REPORT_REJECTED', 'REPORT_UNAPPROVED')
       AND (r.decided_by IS NOT last.actor OR r.decided_at IS NOT last.at))
LIMIT 50
