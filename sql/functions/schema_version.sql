-- chancy.schema_version(): the highest migration version applied to this
-- database (from the ledger chancy.migrations), or 0 when the ledger is
-- empty. Workers compare it with the version they know. Locks nothing;
-- STABLE (reads a table).

CREATE OR REPLACE FUNCTION chancy.schema_version()
RETURNS integer
LANGUAGE sql
STABLE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(max(m.version), 0) FROM chancy.migrations AS m
$fn$;

COMMENT ON FUNCTION chancy.schema_version() IS
    'Highest applied migration version (0 when none).';
