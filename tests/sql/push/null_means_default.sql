-- push: NULL for an optional argument means its default.
BEGIN;
SELECT plan(7);

SELECT chancy.push('t.nulls', NULL, queue => NULL, priority => NULL, scheduled_at => NULL,
                   max_attempts => NULL, unique_key => NULL, meta => NULL, limits => NULL,
                   create_queue => NULL) AS id \gset

SELECT is((SELECT j.kwargs FROM chancy.jobs AS j WHERE j.id = :'id'), '{}'::jsonb, 'NULL kwargs is {}');
SELECT is((SELECT j.queue FROM chancy.jobs AS j WHERE j.id = :'id'), 'default', 'NULL queue is default');
SELECT is((SELECT j.priority FROM chancy.jobs AS j WHERE j.id = :'id'), 0, 'NULL priority is 0');
SELECT is((SELECT j.max_attempts FROM chancy.jobs AS j WHERE j.id = :'id'), 1, 'NULL max_attempts is 1');
SELECT is((SELECT j.meta FROM chancy.jobs AS j WHERE j.id = :'id'), '{}'::jsonb, 'NULL meta is {}');
SELECT is((SELECT j.limits FROM chancy.jobs AS j WHERE j.id = :'id'), '[]'::jsonb, 'NULL limits is []');

SELECT lives_ok($$SELECT chancy.push('t.x', meta => '{"retry_settings": null}')$$,
    'a JSON null meta.retry_settings means no job-level settings');

SELECT * FROM finish();
ROLLBACK;
