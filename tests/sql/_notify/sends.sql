-- _notify: queues a notification on chancy_events (delivered at commit,
-- which a rolled-back test cannot observe; delivery is tested from pytest).
BEGIN;
SELECT plan(2);

SELECT lives_ok($$SELECT chancy._notify('{"t": "queue.pushed", "q": "default"}')$$,
    'a small JSON event is accepted');
SELECT lives_ok($$SELECT chancy._notify(NULL)$$, 'a NULL event sends nothing and raises nothing');

SELECT * FROM finish();
ROLLBACK;
