-- safeground schema 8: the hazard versions a report made, found by the
-- report. Unapproving a report (an import's report versions a thousand
-- hazards) and tracing to it look them up by report_id; without the index
-- each scanned every version and its polygon.
CREATE INDEX IF NOT EXISTS hazard_versions_report ON hazard_versions(report_id);
