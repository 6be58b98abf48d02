-- push: a plain push stores a pending job and returns its id.
BEGIN;
SELECT plan(6);

SELECT isa_ok(chancy.push('app.tasks.hello', '{"name": "x"}', queue => 'default'), 'uuid',
    'push returns a uuid');

SELECT chancy.push('app.tasks.hello', '{"name": "y"}') AS id \gset

SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'id'), 'pending',
    'the pushed job is pending');
SELECT is((SELECT j.kwargs FROM chancy.jobs AS j WHERE j.id = :'id'), '{"name": "y"}'::jsonb,
    'the pushed job keeps its kwargs');
SELECT is((SELECT j.queue FROM chancy.jobs AS j WHERE j.id = :'id'), 'default',
    'queue defaults to default');
SELECT is((SELECT j.attempts FROM chancy.jobs AS j WHERE j.id = :'id'), 0,
    'a new job has made no attempt');
SELECT ok((SELECT j.scheduled_at = now() FROM chancy.jobs AS j WHERE j.id = :'id'),
    'scheduled_at defaults to now() (database clock)');

SELECT * FROM finish();
ROLLBACK;
