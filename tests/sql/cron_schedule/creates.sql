-- schedule: a new schedule is stored with its job, timing and policy.
BEGIN;
SELECT plan(8);

SELECT * FROM chancy.schedule('nightly', '0  3 * * *', 'app.tasks.report',
    kwargs => '{"kind": "daily"}', timezone => 'Europe/Berlin') AS s \gset s_

SELECT is(:'s_name'::text, 'nightly', 'schedule returns the stored row');
SELECT is(:'s_expression'::text, '0 3 * * *', 'the expression is stored with single spaces');
SELECT is(:'s_timezone'::text, 'Europe/Berlin', 'the time zone is stored');
SELECT is(:'s_missed'::text, 'latest', 'missed defaults to latest');
SELECT is(:'s_kwargs'::jsonb, '{"kind": "daily"}'::jsonb, 'the job kwargs are stored');
SELECT ok((SELECT s.next_run IS NULL FROM chancy.cron_schedules AS s WHERE s.name = 'nightly'), 'next_run is left for the leader to compute');
SELECT is(:'s_revision'::bigint, 1::bigint, 'a new schedule is revision 1');
SELECT lives_ok($$SELECT chancy.schedule('secs', '*/5 * * * * *', 'app.tasks.tick')$$,
    'a six-field expression (seconds first) is accepted');

SELECT * FROM finish();
ROLLBACK;
