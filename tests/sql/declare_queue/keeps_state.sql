-- declare_queue: with state NULL an existing queue keeps its pause; an explicit state replaces it.
BEGIN;
SELECT plan(4);

SELECT chancy.declare_queue('mail', concurrency => 2);
SELECT chancy.pause_queue('mail', resume_at => now() + interval '1 hour');
SELECT chancy.declare_queue('mail', concurrency => 5);

SELECT row_eq($$SELECT q.state, q.resume_at IS NOT NULL, q.concurrency FROM chancy.queues AS q WHERE q.name = 'mail'$$,
    ROW('paused'::text, true, 5), 'a declaration without state keeps the pause and its resume_at and changes the settings');
SELECT is((SELECT q.state FROM chancy.declare_queue('fresh') AS q), 'active', 'a new queue declared without state is active');

SELECT chancy.declare_queue('mail', concurrency => 5, state => 'active');
SELECT row_eq($$SELECT q.state, q.resume_at FROM chancy.queues AS q WHERE q.name = 'mail'$$,
    ROW('active'::text, NULL::timestamptz), 'an explicit state replaces the pause and clears resume_at');
SELECT is((SELECT q.state FROM chancy.declare_queue('mail', concurrency => 5, upsert => false) AS q), 'active',
    'without upsert the queue is left as it is');

SELECT * FROM finish();
ROLLBACK;
