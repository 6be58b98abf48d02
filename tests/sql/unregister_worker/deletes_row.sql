-- unregister_worker: deletes the worker's row and leaves its jobs alone.
BEGIN;
SELECT plan(3);

SELECT chancy.push('t.a') AS a \gset
SELECT count(*) FROM chancy.fetch('default', 'w1', 1);
SELECT count(*) FROM chancy.heartbeat('w1', 30, 60);
SELECT count(*) FROM chancy.heartbeat('w2', 30, 60);

SELECT lives_ok($$SELECT chancy.unregister_worker('w1')$$, 'unregister_worker runs');
SELECT results_eq($$SELECT w.worker_id FROM chancy.workers AS w$$, ARRAY['w2'], 'only the other worker is left');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'a'), 'running', 'the worker''s job is untouched');

SELECT * FROM finish();
ROLLBACK;
