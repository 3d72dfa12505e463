-- Records that name an event the history no longer has.
SELECT 'hazard version ' || v.hazard_id || ' v' || v.version || ' names event ' || v.event_id || ', which is not in the history'
FROM hazard_versions v WHERE v.event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = v.event_id)
UNION ALL
SELECT 'task ' || t.code || ' has no TASK_ISSUED event in the history'
FROM tasks t WHERE t.recorded_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.id AND e.kind = 'TASK_ISSUED')
UNION ALL
SELECT 'task ' || t.code || ' is cancelled with no TASK_CANCELLED event in the history'
FROM tasks t WHERE t.cancelled_on IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.id AND e.kind = 'TASK_CANCELLED')
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
SELECT 'non-conformity ' || n.code || ' is withdrawn, but only the unapproval of the report that raised it (or that opened its investigation) withdraws one'
FROM non_conformities n WHERE n.withdrawn_at IS NOT NULL AND n.raised_by_report IS NULL
  AND NOT EXISTS (SELECT 1 FROM investigations i WHERE i.id = n.investigation_id AND i.withdrawn_at IS NOT NULL)
UNION ALL
SELECT 'investigation ' || i.code || ' has no INVESTIGATION_OPENED event, nor an approval that opened it, in the history'
FROM investigations i
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = i.id AND e.kind = 'INVESTIGATION_OPENED')
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.report_id = i.opened_by_report AND e.kind = 'REPORT_APPROVED')
UNION ALL
SELECT 'investigation ' || i.code || ' is withdrawn, but only the unapproval of the report that opened it withdraws one'
FROM investigations i WHERE i.withdrawn_at IS NOT NULL AND i.opened_by_report IS NULL
UNION ALL
SELECT 'the ' || lower(s.kind) || ' step of investigation ' || s.investigation_id || ' has no event in the history'
FROM investigation_steps s
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = s.id AND e.kind IN ('INVESTIGATION_BOARD', 'INVESTIGATION_CONCLUDED'))
UNION ALL
SELECT 'the ' || lower(s.kind) || ' step of non-conformity ' || s.ncr_id || ' has no event in the history'
FROM ncr_steps s
WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = s.id AND e.kind IN ('NCR_ANSWERED', 'NCR_CLOSED'))
UNION ALL
SELECT 'the consent ' || c.id || ' of victim ' || c.victim_id || ' has no CONSENT_RECORDED event in the history'
FROM victim_consents c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = c.id AND e.kind = 'CONSENT_RECORDED')
UNION ALL
SELECT 'the withdrawal ' || w.id || ' of consent ' || w.consent_id || ' has no CONSENT_WITHDRAWN event in the history'
FROM consent_withdrawals w WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = w.id AND e.kind = 'CONSENT_WITHDRAWN')
UNION ALL
SELECT 'the follow-up ' || f.id || ' of victim ' || f.victim_id || ' has no ASSISTANCE_RECORDED event in the history'
FROM assistance f WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = f.id AND e.kind = 'ASSISTANCE_RECORDED')
UNION ALL
SELECT 'the attachment ' || a.uuid || ' (' || a.file_name || ') of report ' || a.report_id || ' has no ATTACHMENT_ADDED event in the history'
FROM attachments a WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.subject = a.uuid AND e.kind = 'ATTACHMENT_ADDED')
UNION ALL
SELECT 'the file ' || a.uuid || ' is shown with ' || m.layer || ' though it is personal or its report is not approved'
FROM (SELECT 'hazards' AS layer, related_id FROM hazards_media
      UNION ALL SELECT 'eo_finds', related_id FROM eo_finds_media
      UNION ALL SELECT 'accidents', related_id FROM accidents_media) m
  JOIN attachments a ON a.id = m.related_id JOIN reports r ON r.id = a.report_id
WHERE a.personal = 1 OR r.state <> 'APPROVED'
LIMIT 50
