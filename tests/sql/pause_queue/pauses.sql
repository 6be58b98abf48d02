-- pause_queue: marks the queue paused (optionally until resume_at);
-- unknown queues raise CH001.
BEGIN;
SELECT plan(4);

SELECT row_eq($$SELECT q.state, q.resume_at FROM chancy.pause_queue('default') AS q$$,
    ROW('paused'::text, NULL::timestamptz), 'pause without resume_at pauses until resumed');
SELECT row_eq($$SELECT q.state, q.resume_at FROM chancy.pause_queue('default', now() + interval '5 minutes') AS q$$,
    ROW('paused'::text, now() + interval '5 minutes'), 'pause with resume_at stores it');
SELECT throws_ok($$SELECT chancy.pause_queue('ghost')$$, 'CH001', 'unknown queue "ghost"', 'an unknown queue raises CH001');
SELECT throws_ok($$SELECT chancy.pause_queue('default', 'infinity')$$, 'CH005', NULL, 'an infinite resume_at is refused');

SELECT * FROM finish();
ROLLBACK;
