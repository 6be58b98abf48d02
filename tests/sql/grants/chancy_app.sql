-- grants: the role chancy_app, when it exists, can use Chancy; PUBLIC cannot.
BEGIN;
SELECT plan(6);

-- Roles are cluster-wide: reuse them if the cluster has them already.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'chancy_app') THEN
        CREATE ROLE chancy_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname = 'chancy_stranger') THEN
        CREATE ROLE chancy_stranger NOLOGIN;
    END IF;
END
$roles$;
\ir ../../../sql/grants.sql

SELECT ok(has_schema_privilege('chancy_app', 'chancy', 'USAGE'), 'chancy_app may use schema chancy');
SELECT ok(has_function_privilege('chancy_app',
    'chancy.push(text,jsonb,text,integer,timestamptz,integer,text,jsonb,jsonb,boolean)', 'EXECUTE'),
    'chancy_app may call push');
SELECT ok(has_table_privilege('chancy_app', 'chancy.jobs', 'SELECT,INSERT,UPDATE,DELETE'),
    'chancy_app may read and write the jobs table (functions are SECURITY INVOKER)');
SELECT ok(NOT has_schema_privilege('chancy_stranger', 'chancy', 'USAGE'), 'another role may not use schema chancy');
SELECT ok(NOT has_function_privilege('chancy_stranger', 'chancy.schema_version()', 'EXECUTE'),
    'PUBLIC has no EXECUTE on Chancy''s functions');
SELECT ok(NOT has_table_privilege('chancy_stranger', 'chancy.jobs', 'SELECT'), 'another role may not read jobs');

SELECT * FROM finish();
ROLLBACK;
