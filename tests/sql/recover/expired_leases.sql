-- recover: running jobs with an expired lease go to retrying (WorkerLost)
-- or to failed when attempts are exhausted; live leases are left alone.
BEGIN;
SELECT plan(7);

SELECT chancy.push('t.retry', max_attempts => 2) AS retry \gset
SELECT chancy.push('t.final') AS final \gset
SELECT chancy.push('t.live') AS live \gset
SELECT count(*) FROM chancy.fetch('default', 'w1', 3);
UPDATE chancy.jobs AS j SET lease_expires_at = now() - interval '1 second' WHERE j.func IN ('t.retry', 't.final');

CREATE TEMP TABLE recovered AS SELECT * FROM chancy.recover();

SELECT results_eq($$SELECT r.id, r.state FROM recovered AS r ORDER BY r.id$$,
    $$VALUES ($$ || quote_literal(:'retry') || $$::uuid, 'retrying'::text), ($$ || quote_literal(:'final') || $$::uuid, 'failed'::text)$$,
    'recover returns the two expired jobs with their new states');
SELECT row_eq($$SELECT j.scheduled_at, j.claim_id, j.lease_expires_at, j.attempts FROM chancy.jobs AS j WHERE j.func = 't.retry'$$,
    ROW(now(), NULL::uuid, NULL::timestamptz, 1), 'the retrying job is due now, unclaimed, its attempt counted');
SELECT is((SELECT j.errors -> 0 FROM chancy.jobs AS j WHERE j.id = :'retry'),
    jsonb_build_object('attempt', 1, 'type', 'WorkerLost', 'message', 'worker lost: lease expired', 'traceback', NULL, 'at', now()),
    'a WorkerLost error is recorded');
SELECT is((SELECT j.completed_at FROM chancy.jobs AS j WHERE j.id = :'final'), now(), 'the failed job is completed now');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'live'), 'running', 'a job with a live lease is untouched');
SELECT is_empty($$SELECT * FROM chancy.recover()$$, 'a second run finds nothing');
SELECT throws_ok($$SELECT * FROM chancy.recover(0)$$, '22023', 'recover: max_rows must be at least 1, got 0',
    'max_rows 0 is refused');

SELECT * FROM finish();
ROLLBACK;
