-- grants: who may use Chancy's schema, in one place.
--
-- Runs last on every install, after the functions are loaded. Idempotent.
--
-- Functions are SECURITY INVOKER, so a caller needs rights on the tables as
-- well as on the functions. The owner of the schema (the role that runs the
-- install) has everything. Applications that connect as another role get
-- their rights through the role chancy_app: when it exists, this file grants
-- it what a worker and a producer need; create it once with
--     CREATE ROLE chancy_app NOLOGIN;
-- and GRANT chancy_app TO your application's login role, then re-run the
-- install. The helpers (names starting with "_") and the schema's tables are
-- not reachable by PUBLIC.

REVOKE ALL ON SCHEMA chancy FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chancy FROM PUBLIC;

DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'chancy_app') THEN
        GRANT USAGE ON SCHEMA chancy TO chancy_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA chancy TO chancy_app;
        GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA chancy TO chancy_app;
    END IF;
END
$grants$;
