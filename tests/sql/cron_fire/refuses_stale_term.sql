-- cron_fire: only the live leader's term fires (CH003), and nothing is pushed.
BEGIN;
SELECT plan(5);

INSERT INTO chancy.leader (worker_id, term, expires_at) VALUES ('w', 4, now() + interval '1 minute');
SELECT chancy.schedule('s', '* * * * *', 'app.tasks.a');
UPDATE chancy.cron_schedules AS s SET revised_at = now() - interval '1 hour' WHERE s.name = 's';
SELECT date_trunc('minute', now()) AS t1, date_trunc('minute', now()) + interval '1 minute' AS t2 \gset

SELECT throws_ok(format('SELECT * FROM chancy.cron_fire(3, %L, 1, ARRAY[%L]::timestamptz[], %L)', 's', :'t1', :'t2'),
    'CH003', NULL, 'an older term is refused');
SELECT throws_ok(format('SELECT * FROM chancy.cron_fire(NULL, %L, 1, ARRAY[%L]::timestamptz[], %L)', 's', :'t1', :'t2'),
    'CH003', NULL, 'no term is refused');
UPDATE chancy.leader SET expires_at = now() - interval '1 second';
SELECT throws_ok(format('SELECT * FROM chancy.cron_fire(4, %L, 1, ARRAY[%L]::timestamptz[], %L)', 's', :'t1', :'t2'),
    'CH003', NULL, 'the term of an expired lease is refused');
SELECT is((SELECT count(*) FROM chancy.jobs), 0::bigint, 'no job was pushed');
SELECT is((SELECT count(*) FROM chancy.cron_ticks), 0::bigint, 'no tick was recorded');

SELECT * FROM finish();
ROLLBACK;
