-- push_many: an unknown queue is an error naming it and the element, unless
-- create_queue.
BEGIN;
SELECT plan(4);

SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t.a"}, {"func": "t.b", "queue": "ghost"}]')$$,
    'CH001', 'unknown queue "ghost" at jobs[1] (ord 2) (declare it first, or pass create_queue => true)',
    'an unknown queue raises CH001 naming the queue and the element');
SELECT is((SELECT count(*)::integer FROM chancy.jobs), 0, 'the refused batch stored nothing');

SELECT * FROM chancy.push_many('[{"func": "t.a", "queue": "q1"}, {"func": "t.b", "queue": "q2"}, {"func": "t.c", "queue": "q1"}]', create_queue => true);
SELECT results_eq($$SELECT q.name FROM chancy.queues AS q WHERE q.name IN ('q1', 'q2') ORDER BY 1$$,
    ARRAY['q1', 'q2'], 'create_queue => true creates each missing queue once');
SELECT is((SELECT count(*)::integer FROM chancy.jobs), 3, 'all jobs were stored');

SELECT * FROM finish();
ROLLBACK;
