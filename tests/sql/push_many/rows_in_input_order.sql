-- push_many: one (ord, id) row per element, in input order, ids ascending.
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE pushed AS
SELECT * FROM chancy.push_many($$[
    {"func": "t.a", "kwargs": {"n": 1}},
    {"func": "t.b", "priority": 3, "max_attempts": 2, "meta": {"m": true}},
    {"func": "t.c", "scheduled_at": "2030-01-01T00:00:00Z", "limits": [{"t": "time", "v": 5}]}
]$$);

SELECT results_eq('SELECT p.ord FROM pushed AS p', ARRAY[1, 2, 3], 'ord is 1-based and in input order');
SELECT ok((SELECT bool_and(p.id IS NOT NULL) FROM pushed AS p), 'every element gets an id');
SELECT results_eq($$SELECT j.func FROM chancy.jobs AS j ORDER BY j.id$$, ARRAY['t.a', 't.b', 't.c'],
    'ids sort in input order');
SELECT results_eq($$SELECT j.func FROM pushed AS p JOIN chancy.jobs AS j ON j.id = p.id ORDER BY p.ord$$,
    ARRAY['t.a', 't.b', 't.c'], 'each row''s id is the job of that element');
SELECT row_eq($$SELECT j.priority, j.max_attempts, j.meta FROM chancy.jobs AS j WHERE j.func = 't.b'$$,
    ROW(3, 2, '{"m": true}'::jsonb), 'priority, max_attempts and meta are stored');
SELECT row_eq($$SELECT j.scheduled_at, j.limits, j.queue FROM chancy.jobs AS j WHERE j.func = 't.c'$$,
    ROW('2030-01-01 00:00:00+00'::timestamptz, '[{"t": "time", "v": 5}]'::jsonb, 'default'::text),
    'scheduled_at and limits are stored; queue defaults to default');

SELECT * FROM finish();
ROLLBACK;
