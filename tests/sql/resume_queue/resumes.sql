-- resume_queue: marks the queue active and clears resume_at; unknown
-- queues raise CH001.
BEGIN;
SELECT plan(3);

SELECT count(*) FROM chancy.pause_queue('default', now() + interval '1 hour');
SELECT row_eq($$SELECT q.state, q.resume_at FROM chancy.resume_queue('default') AS q$$,
    ROW('active'::text, NULL::timestamptz), 'the queue is active with no resume_at');
SELECT row_eq($$SELECT q.state FROM chancy.resume_queue('default') AS q$$, ROW('active'::text),
    'resuming an active queue keeps it active');
SELECT throws_ok($$SELECT chancy.resume_queue('ghost')$$, 'CH001', 'unknown queue "ghost"', 'an unknown queue raises CH001');

SELECT * FROM finish();
ROLLBACK;
