-- heartbeat: upserts the worker row with the database clock.
BEGIN;
SELECT plan(4);

SELECT count(*) FROM chancy.heartbeat('w1', 30, 60, queues => '{default}', tags => '{gpu}', hostname => 'h1', pid => 42);
SELECT row_eq($$SELECT w.hostname, w.pid, w.tags, w.queues, w.last_seen, w.expires_at FROM chancy.workers AS w WHERE w.worker_id = 'w1'$$,
    ROW('h1'::text, 42, '{gpu}'::text[], '{default}'::text[], now(), now() + interval '30 seconds'),
    'the first heartbeat stores the worker with expires_at = now + ttl');

UPDATE chancy.workers AS w SET started_at = now() - interval '1 hour', last_seen = now() - interval '10 seconds'
 WHERE w.worker_id = 'w1';
SELECT count(*) FROM chancy.heartbeat('w1', 90, 60, hostname => 'h2');
SELECT row_eq($$SELECT w.hostname, w.last_seen, w.expires_at FROM chancy.workers AS w WHERE w.worker_id = 'w1'$$,
    ROW('h2'::text, now(), now() + interval '90 seconds'), 'a later heartbeat refreshes the row');
SELECT is((SELECT w.started_at FROM chancy.workers AS w WHERE w.worker_id = 'w1'), now() - interval '1 hour',
    'started_at keeps the first heartbeat''s time');
SELECT is((SELECT count(*)::integer FROM chancy.workers), 1, 'one row per worker');

SELECT * FROM finish();
ROLLBACK;
