-- safeground schema 17: a count of the events written that a rollback or a
-- crash does not move. `audit verify` compares it with the newest event to
-- catch the newest events deleted (a shorter chain is itself whole). The
-- events' identity sequence cannot serve: PostgreSQL advances it for a
-- transaction that rolls back and, after a crash or a point-in-time
-- recovery, skips up to 32 values, so the check cried "deleted" on a sound
-- register. This row moves with the transaction that writes the events:
-- sealing them (audit.rs `seal`, once per transaction, not per event: one
-- row updated per event in a long import would grow without bound until
-- the commit) raises it to the newest sealed; a migration sets it to the
-- source's count. A register upgraded starts it at its newest event.
CREATE TABLE sg_events_counter (
  one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
  last BIGINT NOT NULL
);
INSERT INTO sg_events_counter (last) SELECT COALESCE(max(seq), 0) FROM events;

-- The count only grows, and its row stays.
CREATE FUNCTION sg_events_counter_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.last < OLD.last THEN
    RAISE EXCEPTION 'the count of events only grows';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER events_counter_grows BEFORE UPDATE OR DELETE ON sg_events_counter
  FOR EACH ROW EXECUTE FUNCTION sg_events_counter_grows();
CREATE TRIGGER events_counter_no_truncate BEFORE TRUNCATE ON sg_events_counter
  FOR EACH STATEMENT EXECUTE FUNCTION sg_events_counter_grows();
