-- fail: with attempts left, the job goes to retrying after the default
-- backoff and the error is appended.
BEGIN;
SELECT plan(6);

SELECT chancy.push('t.a', max_attempts => 3) AS a \gset
SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset

CREATE TEMP TABLE failed AS
SELECT * FROM chancy.fail(ARRAY[:'a'::uuid], ARRAY[:'claim'::uuid],
    ARRAY['{"type": "ValueError", "message": "bad", "traceback": "tb", "extra": 1}'::jsonb]);

SELECT row_eq('SELECT f.id, f.state FROM failed AS f', ROW(:'a'::uuid, 'retrying'::text),
    'fail returns the job as retrying');
SELECT ok((SELECT f.scheduled_at BETWEEN now() + interval '1 second' AND now() + interval '1.1 seconds' FROM failed AS f),
    'the first retry waits backoff 1 s times (1 + up to 0.1 jitter)');
SELECT is((SELECT j.scheduled_at FROM chancy.jobs AS j WHERE j.id = :'a'), (SELECT f.scheduled_at FROM failed AS f),
    'the returned scheduled_at is stored');
SELECT is((SELECT j.errors FROM chancy.jobs AS j WHERE j.id = :'a'),
    jsonb_build_array(jsonb_build_object('attempt', 1, 'type', 'ValueError', 'message', 'bad',
                                         'traceback', 'tb', 'at', now())),
    'the error is appended with attempt and time, other keys dropped');
SELECT row_eq($$SELECT j.claim_id, j.lease_expires_at, j.completed_at FROM chancy.jobs AS j$$,
    ROW(NULL::uuid, NULL::timestamptz, NULL::timestamptz), 'claim, lease and completed_at are clear');
SELECT is((SELECT j.attempts FROM chancy.jobs AS j WHERE j.id = :'a'), 1, 'the failed run stays counted');

SELECT * FROM finish();
ROLLBACK;
