-- cron_fire: each tick pushes one job, recorded in the ledger; firing the
-- same ticks again, or after the job was deleted, pushes nothing.
BEGIN;
SELECT plan(9);

INSERT INTO chancy.leader (worker_id, term, expires_at) VALUES ('w', 3, now() + interval '1 minute');
SELECT chancy.schedule('s', '* * * * *', 'app.tasks.a', kwargs => '{"n": 1}');
UPDATE chancy.cron_schedules AS s SET revised_at = now() - interval '1 hour' WHERE s.name = 's';

SELECT date_trunc('minute', now()) AS t2, date_trunc('minute', now()) - interval '1 minute' AS t1,
       date_trunc('minute', now()) + interval '1 minute' AS t3 \gset

SELECT is((SELECT count(*) FROM chancy.cron_fire(3, 's', 1, ARRAY[:'t1', :'t2']::timestamptz[], :'t3')),
    2::bigint, 'two ticks fire two jobs');
SELECT is((SELECT count(*) FROM chancy.jobs AS j WHERE j.func = 'app.tasks.a'), 2::bigint,
    'two jobs were pushed');
SELECT is((SELECT count(*) FROM chancy.cron_ticks AS k WHERE k.schedule_name = 's' AND k.job_id IS NOT NULL),
    2::bigint, 'the ledger records each tick with its job');
SELECT is((SELECT j.meta -> 'cron' ->> 'schedule' FROM chancy.jobs AS j LIMIT 1), 's',
    'the job names its schedule in meta.cron');
SELECT is((SELECT s.next_run FROM chancy.cron_schedules AS s WHERE s.name = 's'), :'t3'::timestamptz,
    'next_run moved to the given next tick');
SELECT is((SELECT s.last_run FROM chancy.cron_schedules AS s WHERE s.name = 's'), :'t2'::timestamptz,
    'last_run is the latest tick fired');

UPDATE chancy.cron_schedules AS s SET next_run = NULL WHERE s.name = 's';
SELECT is((SELECT count(*) FROM chancy.cron_fire(3, 's', 1, ARRAY[:'t1', :'t2']::timestamptz[], :'t3')),
    0::bigint, 'ticks in the ledger never fire again');

DELETE FROM chancy.jobs;
UPDATE chancy.cron_schedules AS s SET next_run = NULL WHERE s.name = 's';
SELECT is((SELECT count(*) FROM chancy.cron_fire(3, 's', 1, ARRAY[:'t1', :'t2']::timestamptz[], :'t3')),
    0::bigint, 'deleting the jobs does not make their ticks fire again');
SELECT is((SELECT count(*) FROM chancy.jobs), 0::bigint, 'no job was pushed again');

SELECT * FROM finish();
ROLLBACK;
