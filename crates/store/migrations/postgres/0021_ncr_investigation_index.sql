-- safeground schema 21: non-conformities found by their investigation (as
-- migrations/0021_ncr_investigation_index.sql).
CREATE INDEX non_conformities_investigation ON non_conformities(investigation_id);
