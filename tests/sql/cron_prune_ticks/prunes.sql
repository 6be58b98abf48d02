-- cron_prune_ticks: deletes ledger rows fired before now() - keep, fenced by term.
BEGIN;
SELECT plan(4);

INSERT INTO chancy.leader (worker_id, term, expires_at) VALUES ('w', 2, now() + interval '1 minute');
SELECT chancy.schedule('s', '* * * * *', 'app.tasks.a');
INSERT INTO chancy.cron_ticks (schedule_name, tick_at, term, fired_at) VALUES
    ('s', '2020-01-01 00:00+00', 1, now() - interval '30 days'),
    ('s', '2020-01-01 00:01+00', 1, now() - interval '30 days'),
    ('s', '2020-01-01 00:02+00', 1, now());

SELECT throws_ok($$SELECT chancy.cron_prune_ticks(term => 1)$$, 'CH003', NULL,
    'a stale term is refused');
SELECT is(chancy.cron_prune_ticks(keep => '7 days', term => 2), 2::bigint,
    'the two old rows are deleted');
SELECT is((SELECT count(*) FROM chancy.cron_ticks), 1::bigint, 'the recent row stays');
SELECT throws_ok($$SELECT chancy.cron_prune_ticks(keep => '-1 day')$$, '22023', NULL,
    'a negative keep is refused');

SELECT * FROM finish();
ROLLBACK;
