-- push: malformed arguments raise CH002 naming the field; nothing is stored.
BEGIN;
SELECT plan(14);

SELECT throws_ok($$SELECT chancy.push(NULL)$$, 'CH002',
    'invalid job: func must be a non-empty text of at most 1000 characters', 'NULL func is refused');
SELECT throws_ok($$SELECT chancy.push('')$$, 'CH002',
    'invalid job: func must be a non-empty text of at most 1000 characters', 'empty func is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', '[1, 2]')$$, 'CH002',
    'invalid job t.x: kwargs must be a JSON object, not array', 'kwargs that is not an object is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', priority => 32768)$$, 'CH002',
    'invalid job t.x: priority must be from -32768 to 32767, got 32768', 'priority above 32767 is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', priority => -32769)$$, 'CH002', NULL,
    'priority below -32768 is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', max_attempts => 0)$$, 'CH002',
    'invalid job t.x: max_attempts must be from 1 to 1000, got 0', 'max_attempts 0 is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', max_attempts => 1001)$$, 'CH002', NULL,
    'max_attempts above 1000 is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', scheduled_at => 'infinity')$$, 'CH002',
    'invalid job t.x: scheduled_at must be a finite time, got infinity', 'an infinite scheduled_at is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', unique_key => '')$$, 'CH002',
    'invalid job t.x: unique_key must be NULL or 1 to 1000 characters', 'an empty unique_key is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', meta => '"text"')$$, 'CH002',
    'invalid job t.x: meta must be a JSON object, not string', 'meta that is not an object is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', meta => '{"retry_settings": {"backoff": -1}}')$$, 'CH002',
    'invalid job t.x: meta.retry_settings backoff must be a number >= 0',
    'a negative backoff in meta.retry_settings is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', limits => '{}')$$, 'CH002',
    'invalid job t.x: limits must be a JSON array of objects', 'limits that is not an array is refused');
SELECT throws_ok($$SELECT chancy.push('t.x', limits => '[1]')$$, 'CH002', NULL,
    'limits holding a non-object is refused');
SELECT is((SELECT count(*)::integer FROM chancy.jobs), 0, 'no refused push stored anything');

SELECT * FROM finish();
ROLLBACK;
