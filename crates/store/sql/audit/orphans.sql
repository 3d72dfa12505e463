-- Records that name an event the history no longer has.
SELECT 'hazard version ' || v.hazard_id || ' v' || v.version || ' names event ' || v.event_id || ', which is not in the history'
FROM hazard_versions v WHERE v.event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = v.event_id)
UNION ALL
SELECT 'task ' || t.code || ' has no TASK_ISSUED event in the history'
FROM tasks t WHERE t.recorded_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.id AND e.kind = 'TASK_ISSUED')
UNION ALL
SELECT 'project ' || p.code || ' has no PROJECT_ADDED event in the history'
FROM projects p WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = p.id AND e.kind = 'PROJECT_ADDED')
UNION ALL
SELECT 'the funding of task ' || coalesce(t.code, pt.task_id) || ' has no TASK_FUNDED event in the history'
FROM project_tasks pt LEFT JOIN tasks t ON t.id = pt.task_id
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.task_id = pt.task_id AND e.kind = 'TASK_FUNDED')
UNION ALL
SELECT 'accreditation ' || a.reference || ' has no ACCREDITATION_ADDED event in the history'
FROM accreditations a WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = a.id AND e.kind = 'ACCREDITATION_ADDED')
UNION ALL
SELECT 'accreditation ' || a.reference || ' is suspended with no ACCREDITATION_SUSPENDED event in the history'
FROM accreditations a WHERE a.suspended_on IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = a.id AND e.kind = 'ACCREDITATION_SUSPENDED')
UNION ALL
SELECT 'ranking ' || r.code || ' has no RANKING_SEALED event in the history'
FROM rankings r WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = r.id AND e.kind = 'RANKING_SEALED')
UNION ALL
SELECT 'non-conformity ' || n.code || ' has no NCR_RAISED event, nor an approval that raised it, in the history'
FROM non_conformities n
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = n.id AND e.kind = 'NCR_RAISED')
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.report_id = n.raised_by_report AND e.kind = 'REPORT_APPROVED')
UNION ALL
SELECT 'non-conformity ' || n.code || ' is withdrawn, but only the unapproval of the report that raised it withdraws one'
FROM non_conformities n WHERE n.withdrawn_at IS NOT NULL AND n.raised_by_report IS NULL
UNION ALL
SELECT 'the ' || lower(s.kind) || ' step of non-conformity ' || s.ncr_id || ' has no event in the history'
FROM ncr_steps s
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = s.id AND e.kind IN ('NCR_ANSWERED', 'NCR_CLOSED'))
LIMIT 50
