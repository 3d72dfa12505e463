-- safeground schema 17: on PostgreSQL, a count of the events written that
-- moves with its transaction (migrations/postgres/0017_events_counter.sql),
-- for `audit verify`. A GeoPackage has one already: SQLite's
-- sqlite_sequence rolls back with the transaction that wrote the events.
-- Nothing changes in the file.
SELECT 1;
