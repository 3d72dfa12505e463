-- Non-conformities in force (not withdrawn by an unapproval), of one
-- organisation when ?1 is its UUID, the latest raised first; their state is
-- folded from ncr_steps by the caller.
SELECT n.id, n.code, o.acronym, n.report_id, n.accident_id, n.raised_by
FROM non_conformities n
JOIN organisations o ON o.id = n.organisation_id
WHERE n.withdrawn_at IS NULL AND (CAST(?1 AS TEXT) IS NULL OR n.organisation_id = CAST(?1 AS TEXT))
ORDER BY n.raised_on DESC, n.fid DESC
