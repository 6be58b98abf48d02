-- fetch: a paused queue gives nothing; a pause whose resume_at passed is
-- lifted by fetch.
BEGIN;
SELECT plan(5);

SELECT chancy.push('t.a') AS a \gset
SELECT chancy.pause_queue('default') IS NOT NULL AS paused \gset

SELECT is_empty($$SELECT * FROM chancy.fetch('default', 'w1', 10)$$, 'a paused queue gives no jobs');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'a'), 'pending', 'its job stays pending');

SELECT chancy.pause_queue('default', resume_at => now() + interval '1 minute') IS NOT NULL AS paused \gset
SELECT is_empty($$SELECT * FROM chancy.fetch('default', 'w1', 10)$$, 'a pause until a future time gives no jobs');

SELECT chancy.pause_queue('default', resume_at => now() - interval '1 second') IS NOT NULL AS paused \gset
SELECT results_eq($$SELECT f.func FROM chancy.fetch('default', 'w1', 10) AS f$$, ARRAY['t.a'],
    'once resume_at has passed, fetch claims again');
SELECT row_eq($$SELECT q.state, q.resume_at FROM chancy.queues AS q WHERE q.name = 'default'$$,
    ROW('active'::text, NULL::timestamptz), 'and the queue is active again');

SELECT * FROM finish();
ROLLBACK;
