-- safeground schema 21: non-conformities found by their investigation. An
-- investigation's board reads the non-conformities raised under it at every
-- step (`sql/investigation/ncrs_of.sql`); without this index that read scanned
-- every non-conformity of the register, once per investigation shown.
CREATE INDEX non_conformities_investigation ON non_conformities(investigation_id);
