-- schedule: bad input is refused by SQLSTATE, naming the part, storing nothing.
BEGIN;
SELECT plan(14);

SELECT throws_ok($$SELECT chancy.schedule('s', '*/5 * * *', 'f')$$, 'CH007',
    NULL, 'four fields: CH007');
SELECT throws_like($$SELECT chancy.schedule('s', '*/5 * * *', 'f')$$,
    '%has 4 fields%', 'the error counts the fields');
SELECT throws_ok($$SELECT chancy.schedule('s', '* * * * * * *', 'f')$$, 'CH007',
    NULL, 'seven fields: CH007');
SELECT throws_like($$SELECT chancy.schedule('s', '* * * * $', 'f')$$,
    '%day of week field%', 'a bad character is refused naming its field');
SELECT throws_like($$SELECT chancy.schedule('s', '* ; * * * *', 'f')$$,
    '%minute field%', 'a bad character in a six-field expression names the field');
SELECT throws_ok($$SELECT chancy.schedule('s', '@sometimes', 'f')$$, 'CH007',
    NULL, 'an unknown alias: CH007');
SELECT throws_ok($$SELECT chancy.schedule('s', '', 'f')$$, 'CH007',
    NULL, 'an empty expression: CH007');
SELECT throws_like($$SELECT chancy.schedule('s', '* * * * *', 'f', timezone => 'Mars/Olympus')$$,
    '%unknown time zone%Mars/Olympus%', 'an unknown time zone is refused by name');
SELECT throws_ok($$SELECT chancy.schedule('s', '* * * * *', 'f', missed => 'often')$$, 'CH007',
    NULL, 'an unknown missed policy: CH007');
SELECT throws_ok($$SELECT chancy.schedule(E'a\nb', '* * * * *', 'f')$$, 'CH007',
    NULL, 'a name with a control character: CH007');
SELECT throws_ok($$SELECT chancy.schedule('s', '* * * * *', 'f', kwargs => '[]')$$, 'CH002',
    NULL, 'kwargs that are not an object: CH002');
SELECT throws_ok($$SELECT chancy.schedule('s', '* * * * *', 'f', priority => 40000)$$, 'CH002',
    NULL, 'a priority out of range: CH002');
SELECT throws_ok($$SELECT chancy.schedule('s', '* * * * *', 'f', queue => 'nowhere')$$, 'CH001',
    NULL, 'an unknown queue: CH001');
SELECT is((SELECT count(*) FROM chancy.cron_schedules), 0::bigint,
    'nothing refused was stored');

SELECT * FROM finish();
ROLLBACK;
