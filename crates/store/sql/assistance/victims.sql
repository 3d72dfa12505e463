-- The victims of the accidents in force (optionally of accident ?1; only
-- those of accidents organisation ?2 reported, when it is a UUID), the latest
-- accident first: what statistics need, and — personal data, for callers
-- allowed to read it — who they are.
SELECT v.id, a.id, a.occurred_on, a.kind, d.name, v.outcome, v.sex, v.age, v.disability, v.injuries,
       i.full_name, i.contact
FROM victims v
JOIN accidents a ON a.id = v.accident_id
LEFT JOIN districts d ON d.id = a.district_id
LEFT JOIN victim_identities i ON i.victim_id = v.id
WHERE a.revoked_at IS NULL AND (CAST(?1 AS TEXT) IS NULL OR a.id = CAST(?1 AS TEXT))
  AND (CAST(?2 AS TEXT) IS NULL
       OR a.report_id IN (SELECT r.id FROM reports r WHERE r.organisation_id = CAST(?2 AS TEXT)))
ORDER BY a.occurred_on DESC, a.id, v.id
