-- release: claimed jobs go back to retrying now, the interrupted run not
-- counted and the reason recorded; stale claims change nothing.
BEGIN;
SELECT plan(6);

SELECT chancy.push('t.again', max_attempts => 2) AS again \gset
SELECT chancy.push('t.last') AS last \gset
CREATE TEMP TABLE claimed AS SELECT * FROM chancy.fetch('default', 'w1', 2);

SELECT results_eq($$SELECT x.id FROM chancy.release(
        (SELECT array_agg(c.id ORDER BY c.id) FROM claimed AS c),
        (SELECT array_agg(c.claim_id ORDER BY c.id) FROM claimed AS c), 'worker shutting down') AS x(id) ORDER BY 1$$,
    ARRAY[:'again'::uuid, :'last'::uuid], 'release returns the ids it handed back');
SELECT row_eq($$SELECT j.state, j.scheduled_at, j.attempts FROM chancy.jobs AS j WHERE j.func = 't.again'$$,
    ROW('retrying'::text, now(), 0), 'a released job is retrying now and its interrupted run is not counted');
SELECT row_eq($$SELECT j.state, j.attempts, j.completed_at FROM chancy.jobs AS j WHERE j.func = 't.last'$$,
    ROW('retrying'::text, 0, NULL::timestamptz), 'a job with max_attempts 1 survives its worker''s shutdown');
SELECT is((SELECT j.errors -> 0 FROM chancy.jobs AS j WHERE j.id = :'again'),
    jsonb_build_object('attempt', 1, 'type', 'Released', 'message', 'worker shutting down', 'traceback', NULL, 'at', now()),
    'the reason is recorded as an error of type Released, numbered by the run it interrupted');
SELECT is_empty($$SELECT * FROM chancy.release((SELECT array_agg(c.id) FROM claimed AS c),
        (SELECT array_agg(c.claim_id) FROM claimed AS c), 'again')$$, 'releasing the same claims again changes nothing');
SELECT throws_ok($$SELECT * FROM chancy.release(ARRAY[gen_random_uuid()], ARRAY[]::uuid[], 'x')$$, '22023', NULL,
    'arrays of different lengths are refused');

SELECT * FROM finish();
ROLLBACK;
