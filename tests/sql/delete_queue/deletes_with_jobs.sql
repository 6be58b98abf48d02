-- delete_queue: the queue goes with its jobs and rate-limit counter.
BEGIN;
SELECT plan(5);

SELECT count(*) FROM chancy.declare_queue('doomed', rate_limit => 1, rate_limit_window => 60);
SELECT chancy.push('t.a', queue => 'doomed') AS a \gset
SELECT chancy.push('t.keep') AS keep \gset
SELECT count(*) FROM chancy.fetch('doomed', 'w1', 1);

SELECT is(chancy.delete_queue('doomed'), true, 'delete_queue returns true for an existing queue');
SELECT is((SELECT count(*)::integer FROM chancy.jobs AS j WHERE j.queue = 'doomed'), 0, 'its jobs are gone');
SELECT is((SELECT count(*)::integer FROM chancy.queue_rate_limits), 0, 'its rate-limit counter is gone');
SELECT is((SELECT count(*)::integer FROM chancy.jobs AS j WHERE j.id = :'keep'), 1, 'other queues'' jobs remain');
SELECT is(chancy.delete_queue('doomed'), false, 'deleting it again returns false');

SELECT * FROM finish();
ROLLBACK;
