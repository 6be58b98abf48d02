-- declare_queue: an existing queue is replaced with upsert (the default)
-- and left unchanged without.
BEGIN;
SELECT plan(4);

SELECT count(*) FROM chancy.declare_queue('mail', concurrency => 4, rate_limit => 5, rate_limit_window => 10);

SELECT row_eq($$SELECT q.concurrency, q.rate_limit FROM chancy.declare_queue('mail', concurrency => 2, upsert => false) AS q$$,
    ROW(4, 5), 'without upsert the stored queue is returned unchanged');
SELECT row_eq($$SELECT q.concurrency, q.rate_limit FROM chancy.declare_queue('mail', concurrency => 2) AS q$$,
    ROW(2, NULL::integer), 'with upsert every setting is replaced');
SELECT count(*) FROM chancy.pause_queue('mail', now() + interval '1 hour');
SELECT row_eq($$SELECT q.state, q.resume_at FROM chancy.declare_queue('mail', concurrency => 2, state => 'active') AS q$$,
    ROW('active'::text, NULL::timestamptz), 'declaring a paused queue with state active resumes it');
SELECT is((SELECT count(*)::integer FROM chancy.queues AS q WHERE q.name = 'mail'), 1, 'still one row');

SELECT * FROM finish();
ROLLBACK;
