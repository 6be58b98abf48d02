-- unschedule: deletes the schedule and its ledger, keeps its jobs.
BEGIN;
SELECT plan(5);

INSERT INTO chancy.leader (worker_id, term, expires_at) VALUES ('w', 7, now() + interval '1 minute');
SELECT chancy.schedule('s', '* * * * *', 'app.tasks.a');
UPDATE chancy.cron_schedules AS s SET revised_at = now() - interval '1 hour' WHERE s.name = 's';
SELECT count(*) FROM chancy.cron_fire(7, 's', 1,
    ARRAY[date_trunc('minute', now())], date_trunc('minute', now()) + interval '1 minute');

SELECT is(chancy.unschedule('s'), true, 'unschedule returns true for a schedule that existed');
SELECT is((SELECT count(*) FROM chancy.cron_schedules), 0::bigint, 'the schedule is gone');
SELECT is((SELECT count(*) FROM chancy.cron_ticks), 0::bigint, 'its tick ledger went with it');
SELECT is((SELECT count(*) FROM chancy.jobs), 1::bigint, 'the job it pushed stays');
SELECT is(chancy.unschedule('s'), false, 'unschedule returns false when there is none');

SELECT * FROM finish();
ROLLBACK;
