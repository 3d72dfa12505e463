-- Records that name an event the history no longer has.
SELECT 'hazard version ' || v.hazard_id || ' v' || v.version || ' names event ' || v.event_id || ', which is not in the history'
FROM hazard_versions v WHERE v.event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.id = v.event_id)
UNION ALL
SELECT 'task ' || t.code || ' has no TASK_ISSUED event in the history'
FROM tasks t WHERE t.recorded_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM events e WHERE e.task_id = t.id AND e.kind = 'TASK_ISSUED')
LIMIT 50
