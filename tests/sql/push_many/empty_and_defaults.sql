-- push_many: an empty array pushes nothing; JSON null means the default.
BEGIN;
SELECT plan(3);

SELECT is_empty($$SELECT * FROM chancy.push_many('[]')$$, 'an empty array returns no rows');
SELECT * FROM chancy.push_many('[{"func": "t.n", "kwargs": null, "queue": null, "priority": null, "meta": null, "limits": null, "scheduled_at": null, "max_attempts": null, "unique_key": null}]');
SELECT row_eq($$SELECT j.kwargs, j.queue, j.priority, j.meta, j.limits, j.max_attempts FROM chancy.jobs AS j$$,
    ROW('{}'::jsonb, 'default'::text, 0, '{}'::jsonb, '[]'::jsonb, 1),
    'JSON null fields take the defaults');
SELECT is((SELECT j.scheduled_at FROM chancy.jobs AS j), now(), 'a missing scheduled_at is now()');

SELECT * FROM finish();
ROLLBACK;
