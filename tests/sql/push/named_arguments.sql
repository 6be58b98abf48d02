-- push: every named argument is stored as given.
BEGIN;
SELECT plan(8);

SELECT chancy.declare_queue('mail') IS NOT NULL AS declared \gset

SELECT chancy.push(
    'app.mail.send',
    '{"to": "a@example.com"}',
    queue => 'mail',
    priority => 7,
    scheduled_at => '2030-01-02 03:04:05+00',
    max_attempts => 5,
    unique_key => 'mail-1',
    meta => '{"k": 1}',
    limits => '[{"t": "time", "v": 10}]'
) AS id \gset

SELECT is((SELECT j.queue FROM chancy.jobs AS j WHERE j.id = :'id'), 'mail', 'queue => is stored');
SELECT is((SELECT j.priority FROM chancy.jobs AS j WHERE j.id = :'id'), 7, 'priority => is stored');
SELECT is((SELECT j.scheduled_at FROM chancy.jobs AS j WHERE j.id = :'id'),
    '2030-01-02 03:04:05+00'::timestamptz, 'scheduled_at => is stored');
SELECT is((SELECT j.max_attempts FROM chancy.jobs AS j WHERE j.id = :'id'), 5, 'max_attempts => is stored');
SELECT is((SELECT j.unique_key FROM chancy.jobs AS j WHERE j.id = :'id'), 'mail-1', 'unique_key => is stored');
SELECT is((SELECT j.meta FROM chancy.jobs AS j WHERE j.id = :'id'), '{"k": 1}'::jsonb, 'meta => is stored');
SELECT is((SELECT j.limits FROM chancy.jobs AS j WHERE j.id = :'id'), '[{"t": "time", "v": 10}]'::jsonb,
    'limits => is stored');
SELECT is((SELECT j.errors FROM chancy.jobs AS j WHERE j.id = :'id'), '[]'::jsonb, 'a new job has no errors');

SELECT * FROM finish();
ROLLBACK;
