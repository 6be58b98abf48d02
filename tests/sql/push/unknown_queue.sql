-- push: an unknown queue is an error naming it, unless create_queue.
BEGIN;
SELECT plan(6);

SELECT throws_ok($$SELECT chancy.push('t.x', queue => 'nowhere')$$, 'CH001',
    'unknown queue "nowhere" (declare it first, or push with create_queue => true)',
    'pushing to an unknown queue raises CH001 naming it');
SELECT is((SELECT count(*)::integer FROM chancy.jobs), 0, 'the refused push stored nothing');

SELECT lives_ok($$SELECT chancy.push('t.x', queue => 'made.on-push', create_queue => true)$$,
    'create_queue => true creates the queue');
SELECT is((SELECT q.state FROM chancy.queues AS q WHERE q.name = 'made.on-push'), 'active',
    'the created queue is active with default settings');
SELECT is((SELECT count(*)::integer FROM chancy.jobs AS j WHERE j.queue = 'made.on-push'), 1,
    'the job went to the created queue');
SELECT throws_ok($$SELECT chancy.push('t.x', queue => 'bad name!', create_queue => true)$$, 'CH005', NULL,
    'create_queue with a malformed name raises CH005');

SELECT * FROM finish();
ROLLBACK;
