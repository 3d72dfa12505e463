-- safeground schema 16: sessions and failed logins shared by servers.
-- On PostgreSQL they are rows (migrations/postgres/0016_shared_sessions.sql),
-- so that servers behind one load balancer act as one. A GeoPackage is
-- served by one process, which keeps them in its memory: nothing changes
-- in the file.
SELECT 1;
