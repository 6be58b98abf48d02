-- retry: finished jobs go back to pending, attempts reset, errors kept.
BEGIN;
SELECT plan(4);

SELECT chancy.push('t.a') AS a \gset
SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset
SELECT count(*) FROM chancy.fail(ARRAY[:'a'::uuid], ARRAY[:'claim'::uuid], ARRAY['{"type": "E"}'::jsonb]);
SELECT chancy.push('t.pending') AS pending \gset

SELECT results_eq($$SELECT * FROM chancy.retry(ARRAY['$$ || :'a' || $$', '$$ || :'pending' || $$']::uuid[])$$,
    ARRAY[:'a'::uuid], 'retry returns only the finished job it changed');
SELECT row_eq($$SELECT j.state, j.attempts, j.scheduled_at, j.completed_at FROM chancy.jobs AS j WHERE j.func = 't.a'$$,
    ROW('pending'::text, 0, now(), NULL::timestamptz), 'the job is pending now with attempts reset');
SELECT is((SELECT jsonb_array_length(j.errors) FROM chancy.jobs AS j WHERE j.id = :'a'), 1, 'its errors are kept');
SELECT results_eq($$SELECT f.id FROM chancy.fetch('default', 'w1', 10) AS f ORDER BY f.id$$,
    ARRAY[:'a'::uuid, :'pending'::uuid], 'the retried job can be claimed again');

SELECT * FROM finish();
ROLLBACK;
