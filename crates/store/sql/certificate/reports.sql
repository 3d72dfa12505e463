-- The approved reports on hazard ?1 (naming it, a task on it, or reopening
-- its released ground), with the event that approved each: type, last day of
-- work, organisation, body, the event's seq, hash and time, the report's id.
-- Oldest first.
SELECT r.type, r.end_date, o.acronym, r.body, e.seq, e.hash, e.at, r.id
FROM reports r
JOIN organisations o ON o.id = r.organisation_id
JOIN events e ON e.report_id = r.id AND e.kind = 'REPORT_APPROVED'
WHERE r.state = 'APPROVED'
  AND (r.hazard_id = ?1 OR r.task_id IN (SELECT t.id FROM tasks t WHERE t.hazard_id = ?1)
       OR r.id IN (SELECT a.revoked_by FROM released_areas a WHERE a.hazard_id = ?1 AND a.revoked_by IS NOT NULL))
ORDER BY e.seq
