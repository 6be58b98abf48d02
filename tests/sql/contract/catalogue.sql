-- contract: every function in schema chancy pins its search_path, is
-- SECURITY INVOKER, is documented, and the engine's functions keep the
-- signatures, parameter names, volatility and strictness of the contract.
BEGIN;
SELECT plan(9);

CREATE TEMP VIEW chancy_functions AS
SELECT p.oid, p.proname, p.oid::regprocedure::text AS signature, p.provolatile, p.proisstrict,
       p.prosecdef, p.proconfig, l.lanname, p.proargnames
  FROM pg_catalog.pg_proc AS p
  JOIN pg_catalog.pg_language AS l ON l.oid = p.prolang
 WHERE p.pronamespace = 'chancy'::regnamespace;

SELECT ok((SELECT count(*) > 20 FROM chancy_functions), 'schema chancy holds the engine''s functions');
SELECT is_empty($$SELECT f.signature FROM chancy_functions AS f
                  WHERE NOT EXISTS (SELECT 1 FROM unnest(f.proconfig) AS c(setting)
                                     WHERE c.setting LIKE 'search\_path=%')$$,
    'every function pins its search_path');
SELECT is_empty($$SELECT f.signature FROM chancy_functions AS f WHERE f.prosecdef$$,
    'every function is SECURITY INVOKER');
SELECT is_empty($$SELECT f.signature FROM chancy_functions AS f
                  WHERE obj_description(f.oid, 'pg_proc') IS NULL$$,
    'every function has a COMMENT');
SELECT is_empty($$SELECT f.signature FROM chancy_functions AS f WHERE f.lanname NOT IN ('sql', 'plpgsql')$$,
    'every function is LANGUAGE sql or plpgsql');

-- The engine's functions, each with the volatility (v, s, i) and strictness
-- chosen for it; a change here is a change of the contract.
CREATE TEMP TABLE expected (signature text, volatility "char", strict boolean);
INSERT INTO expected VALUES
    ('chancy._backoff(integer,jsonb,jsonb)', 'v', false),
    ('chancy._check_batch(text,uuid[],uuid[],integer,text)', 'i', false),
    ('chancy._check_term(bigint)', 'v', false),
    ('chancy._ensure_queue(text)', 'v', false),
    ('chancy._notify(jsonb)', 'v', true),
    ('chancy._retry_settings_problem(jsonb)', 'i', false),
    ('chancy._uuid7(timestamp with time zone,integer)', 'v', true),
    ('chancy._uuid7_series(timestamp with time zone,integer,integer)', 'v', true),
    ('chancy.cancel(uuid[])', 'v', false),
    ('chancy.complete(uuid[],uuid[],jsonb[])', 'v', false),
    ('chancy.declare_queue(text,integer,text,jsonb,double precision,integer,integer,text[],jsonb,text,boolean)', 'v', false),
    ('chancy.delete_jobs(uuid[])', 'v', false),
    ('chancy.delete_queue(text)', 'v', true),
    ('chancy.elect(text,double precision)', 'v', false),
    ('chancy.fail(uuid[],uuid[],jsonb[],double precision[],jsonb[])', 'v', false),
    ('chancy."fetch"(text,text,integer,double precision)', 'v', false),
    ('chancy.heartbeat(text,double precision,double precision,text[],text[],text,integer)', 'v', false),
    ('chancy.pause_queue(text,timestamp with time zone)', 'v', false),
    ('chancy.prune(text,integer,bigint)', 'v', false),
    ('chancy.push(text,jsonb,text,integer,timestamp with time zone,integer,text,jsonb,jsonb,boolean)', 'v', false),
    ('chancy.push_many(jsonb,boolean)', 'v', false),
    ('chancy.recover(integer,bigint)', 'v', false),
    ('chancy.release(uuid[],uuid[],text)', 'v', false),
    ('chancy.resign(text)', 'v', true),
    ('chancy.resume_queue(text)', 'v', false),
    ('chancy.retry(uuid[])', 'v', false),
    ('chancy.schema_version()', 's', false),
    ('chancy.unregister_worker(text)', 'v', true);

SELECT set_eq($$SELECT e.signature, e.volatility, e.strict FROM expected AS e$$,
              $$SELECT f.signature, f.provolatile, f.proisstrict FROM chancy_functions AS f
                 WHERE f.signature IN (SELECT e.signature FROM expected AS e)$$,
    'each engine function exists with its declared volatility and strictness');

SELECT is((SELECT f.proargnames FROM chancy_functions AS f WHERE f.proname = 'push'),
    ARRAY['func', 'kwargs', 'queue', 'priority', 'scheduled_at', 'max_attempts', 'unique_key', 'meta', 'limits', 'create_queue'],
    'push keeps the public parameter names');
SELECT is((SELECT f.proargnames FROM chancy_functions AS f WHERE f.proname = 'fetch'),
    ARRAY['queue', 'worker_id', 'max_jobs', 'lease_seconds'], 'fetch keeps the public parameter names');
SELECT is((SELECT f.proargnames FROM chancy_functions AS f WHERE f.proname = 'declare_queue'),
    ARRAY['name', 'concurrency', 'executor', 'executor_options', 'polling_interval', 'rate_limit',
          'rate_limit_window', 'tags', 'retry_settings', 'state', 'upsert'],
    'declare_queue keeps the public parameter names');

SELECT * FROM finish();
ROLLBACK;
