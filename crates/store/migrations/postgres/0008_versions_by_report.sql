-- safeground schema 8 on PostgreSQL: as migrations/0008_versions_by_report.sql.
CREATE INDEX IF NOT EXISTS hazard_versions_report ON hazard_versions(report_id);
