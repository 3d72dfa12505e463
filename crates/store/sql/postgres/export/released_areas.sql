-- Released ground in force before ?1, optionally in district ?2. `task` is the
-- task the work was done under; `completion` the status its report gave the
-- hazard when it was the completion report (CLOSED or HANDED_OVER).
-- PostgreSQL's form of sql/export/released_areas.sql: the report's JSON read
-- with PostgreSQL's operators instead of SQLite's json_extract.
SELECT r.geom, r.id, h.code, r.outcome, r.released_on, r.area_m2, o.acronym, t.code,
       CASE WHEN rep.body::json ->> 'completion' = 'true'
            THEN CASE WHEN rep.body::json ->> 'handed_over' = 'true' THEN 'HANDED_OVER' ELSE 'CLOSED' END
       END,
       r.report_id, r.recorded_at
FROM released_areas r
JOIN hazards h ON h.id = r.hazard_id
JOIN districts d ON d.id = h.district_id
JOIN organisations o ON o.id = r.organisation_id
LEFT JOIN activities a ON a.id = r.activity_id
LEFT JOIN tasks t ON t.id = a.task_id
LEFT JOIN reports rep ON rep.id = r.report_id
WHERE coalesce(r.recorded_at, '') < ?1 AND (r.revoked_at IS NULL OR r.revoked_at >= ?1)
  AND (?2 IS NULL OR d.name = ?2 COLLATE NOCASE OR d.alt_name = ?2 COLLATE NOCASE)
ORDER BY r.fid
