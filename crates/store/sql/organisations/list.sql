-- Every organisation, by acronym, with what the register holds of it: its
-- teams, its accounts, its reports and its tasks still open.
SELECT o.id, o.acronym, o.name, o.kind, o.country,
       (SELECT count(*) FROM teams t WHERE t.organisation_id = o.id) AS teams,
       (SELECT count(*) FROM users u WHERE u.organisation_id = o.id) AS accounts,
       (SELECT count(*) FROM reports r WHERE r.organisation_id = o.id) AS reports,
       (SELECT count(*) FROM tasks k WHERE k.organisation_id = o.id AND k.status IN ('ISSUED', 'IN_PROGRESS')) AS open_tasks
FROM organisations o
ORDER BY o.acronym
