-- _ensure_queue: creates a missing queue once; refuses malformed names.
BEGIN;
SELECT plan(4);

SELECT is(chancy._ensure_queue('fresh'), true, 'a missing queue is created');
SELECT is(chancy._ensure_queue('fresh'), false, 'an existing queue is left alone');
SELECT is((SELECT count(*)::integer FROM chancy.queues AS q WHERE q.name = 'fresh'), 1, 'the queue exists once');
SELECT throws_ok($$SELECT chancy._ensure_queue('-starts-with-dash')$$, 'CH005', NULL, 'a malformed name raises CH005');

SELECT * FROM finish();
ROLLBACK;
