-- fetch: a queue with a rate limit starts at most rate_limit jobs per window.
BEGIN;
SELECT plan(5);

SELECT chancy.declare_queue('limited', rate_limit => 2, rate_limit_window => 60) IS NOT NULL AS ok \gset
SELECT count(*) FROM chancy.push_many('[{"func": "t", "queue": "limited"}, {"func": "t", "queue": "limited"}, {"func": "t", "queue": "limited"}, {"func": "t", "queue": "limited"}]');

SELECT is((SELECT count(*)::integer FROM chancy.fetch('limited', 'w1', 10)), 2, 'the first fetch starts rate_limit jobs');
SELECT is((SELECT count(*)::integer FROM chancy.fetch('limited', 'w2', 10)), 0, 'within the window nothing more starts');
SELECT is((SELECT r.started FROM chancy.queue_rate_limits AS r WHERE r.queue = 'limited'), 2,
    'the window counts the jobs started');

UPDATE chancy.queue_rate_limits AS r SET window_start = now() - interval '61 seconds' WHERE r.queue = 'limited';
SELECT is((SELECT count(*)::integer FROM chancy.fetch('limited', 'w1', 1)), 1, 'a new window allows new starts');
SELECT row_eq($$SELECT r.window_start, r.started FROM chancy.queue_rate_limits AS r WHERE r.queue = 'limited'$$,
    ROW(now(), 1), 'the new window starts now and counts from zero');

SELECT * FROM finish();
ROLLBACK;
