-- Each organisation's approved work reports (survey, clearance, EOD spot
-- tasks): what a non-conformity rate is counted against.
SELECT o.acronym,
  (SELECT count(*) FROM reports r WHERE r.organisation_id = o.id AND r.state = 'APPROVED'
     AND r.type IN ('NTS', 'TS', 'CLEARANCE', 'EOD_SPOT_TASK'))
FROM organisations o
ORDER BY o.acronym
