-- cron_fire: ticks from the future, a next_run not after the ticks, and ticks
-- computed for an old revision or before the stored next_run do not fire.
BEGIN;
SELECT plan(6);

INSERT INTO chancy.leader (worker_id, term, expires_at) VALUES ('w', 1, now() + interval '1 minute');
SELECT chancy.schedule('s', '* * * * *', 'app.tasks.a');
UPDATE chancy.cron_schedules AS s SET revised_at = now() - interval '1 hour' WHERE s.name = 's';
SELECT date_trunc('minute', now()) AS t1, date_trunc('minute', now()) + interval '1 minute' AS t2,
       date_trunc('minute', now()) - interval '5 minutes' AS t0 \gset

SELECT throws_ok(format('SELECT * FROM chancy.cron_fire(1, %L, 1, ARRAY[%L]::timestamptz[], %L)', 's', :'t2', :'t2'),
    '22023', NULL, 'a tick later than the database clock is refused');
SELECT throws_ok(format('SELECT * FROM chancy.cron_fire(1, %L, 1, ARRAY[%L]::timestamptz[], %L)', 's', :'t1', :'t1'),
    '22023', NULL, 'a next_run that is not after every tick is refused');
SELECT is((SELECT count(*) FROM chancy.cron_fire(1, 's', 2, ARRAY[:'t1']::timestamptz[], :'t2')),
    0::bigint, 'ticks computed for another revision do not fire');

UPDATE chancy.cron_schedules AS s SET next_run = :'t1' WHERE s.name = 's';
SELECT is((SELECT count(*) FROM chancy.cron_fire(1, 's', 1, ARRAY[:'t0', :'t1']::timestamptz[], :'t2')),
    1::bigint, 'a tick before the stored next_run is ignored, the due one fires');
SELECT is((SELECT count(*) FROM chancy.cron_fire(1, 's', 1, ARRAY[]::timestamptz[], :'t1')),
    0::bigint, 'an empty firing pushes nothing');
SELECT is((SELECT s.next_run FROM chancy.cron_schedules AS s WHERE s.name = 's'), :'t2'::timestamptz,
    'next_run never moves back');

SELECT * FROM finish();
ROLLBACK;
