-- A record is revoked exactly when its report was unapproved, or (released
-- ground) when an approved QM inspection re-opened it.
SELECT kind || ' ' || id || CASE WHEN revoked_at IS NULL THEN ' is in force but its report ' || report_id || ' was unapproved'
  ELSE ' was revoked at ' || revoked_at || ' with no unapproval or inspection in the history' END
FROM (
  SELECT 'released area' AS kind, x.id, x.report_id, x.revoked_at, r.state,
    CASE WHEN x.revoked_by IS NOT NULL
      AND EXISTS (SELECT 1 FROM reports q WHERE q.id = x.revoked_by AND q.state = 'APPROVED') THEN 1 ELSE 0 END AS inspected
  FROM released_areas x JOIN reports r ON r.id = x.report_id
  UNION ALL SELECT 'EO find', x.id, x.report_id, x.revoked_at, r.state, 0 FROM eo_finds x JOIN reports r ON r.id = x.report_id
  UNION ALL SELECT 'accident', x.id, x.report_id, x.revoked_at, r.state, 0 FROM accidents x JOIN reports r ON r.id = x.report_id
  UNION ALL SELECT 'EORE session', x.id, x.report_id, x.revoked_at, r.state, 0 FROM eore_sessions x JOIN reports r ON r.id = x.report_id
  UNION ALL SELECT 'residual-risk record', x.id, x.report_id, x.revoked_at, r.state, 0 FROM residuals x JOIN reports r ON r.id = x.report_id
  UNION ALL SELECT 'inspection', x.id, x.report_id, x.revoked_at, r.state, 0 FROM inspections x JOIN reports r ON r.id = x.report_id
  UNION ALL SELECT 'non-conformity', x.code, x.raised_by_report, x.withdrawn_at, r.state, 0 FROM non_conformities x JOIN reports r ON r.id = x.raised_by_report
  UNION ALL SELECT 'investigation', x.code, x.opened_by_report, x.withdrawn_at, r.state, 0 FROM investigations x JOIN reports r ON r.id = x.opened_by_report
  UNION ALL SELECT 'non-conformity', n.code, x.opened_by_report, n.withdrawn_at, r.state, 0
    FROM non_conformities n JOIN investigations x ON x.id = n.investigation_id JOIN reports r ON r.id = x.opened_by_report
  UNION ALL SELECT 'activity', x.id, x.report_id, x.revoked_at, r.state, 0 FROM activities x JOIN reports r ON r.id = x.report_id
  UNION ALL SELECT 'hazard', x.code, x.report_id, x.revoked_at, r.state, 0 FROM hazards x JOIN reports r ON r.id = x.report_id
) AS records
WHERE (revoked_at IS NULL AND state = 'UNAPPROVED')
   OR (revoked_at IS NOT NULL AND state <> 'UNAPPROVED' AND inspected = 0)
LIMIT 50
