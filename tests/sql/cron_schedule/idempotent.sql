-- schedule: registering the same schedule again changes nothing; a new job
-- keeps next_run; a new expression or time zone resets it and bumps revision.
BEGIN;
SELECT plan(8);

SELECT chancy.schedule('s', '*/5 * * * *', 'app.tasks.a');
UPDATE chancy.cron_schedules AS s
   SET next_run = '2030-01-01 00:05+00', updated_at = '2020-01-01 00:00+00'
 WHERE s.name = 's';

SELECT chancy.schedule('s', '*/5 * * * *', 'app.tasks.a');
SELECT is((SELECT s.updated_at FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    '2020-01-01 00:00+00'::timestamptz, 'the same schedule again does not even touch updated_at');
SELECT is((SELECT s.next_run FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    '2030-01-01 00:05+00'::timestamptz, 'the same schedule again keeps next_run');

SELECT chancy.schedule('s', '*/5 * * * *', 'app.tasks.b', kwargs => '{"x": 1}');
SELECT is((SELECT s.func FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    'app.tasks.b', 'a new job replaces the old one');
SELECT is((SELECT s.next_run FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    '2030-01-01 00:05+00'::timestamptz, 'a new job keeps next_run');
SELECT is((SELECT s.revision FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    1::bigint, 'a new job keeps the revision');

SELECT chancy.schedule('s', '*/10 * * * *', 'app.tasks.b', kwargs => '{"x": 1}');
SELECT ok((SELECT s.next_run IS NULL FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    'a new expression resets next_run');
SELECT is((SELECT s.revision FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    2::bigint, 'a new expression bumps the revision');

SELECT chancy.schedule('s', '*/10 * * * *', 'app.tasks.b', kwargs => '{"x": 1}',
    timezone => 'America/New_York');
SELECT is((SELECT s.revision FROM chancy.cron_schedules AS s WHERE s.name = 's'),
    3::bigint, 'a new time zone bumps the revision');

SELECT * FROM finish();
ROLLBACK;
