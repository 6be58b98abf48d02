-- push_many: a malformed element raises CH002 naming its index and field;
-- nothing of the batch is stored.
BEGIN;
SELECT plan(12);

SELECT throws_ok($$SELECT * FROM chancy.push_many('{"func": "t.x"}')$$, 'CH002',
    'invalid jobs: must be a JSON array of job objects, not object', 'an object instead of an array is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many(NULL)$$, 'CH002',
    'invalid jobs: must be a JSON array of job objects, not NULL', 'NULL is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t.ok"}, 5]')$$, 'CH002',
    'invalid job at jobs[1] (ord 2): must be a JSON object, not number', 'a non-object element is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t.ok", "prority": 1}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): unknown field prority (known: func, kwargs, queue, priority, scheduled_at, max_attempts, unique_key, meta, limits)',
    'a misspelt field is refused by name');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"kwargs": {}}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): func must be a non-empty string of at most 1000 characters',
    'a missing func is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t", "priority": 1.5}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): priority must be an integer from -32768 to 32767',
    'a fractional priority is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t", "max_attempts": "3"}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): max_attempts must be an integer from 1 to 1000',
    'a max_attempts given as a string is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t", "scheduled_at": "2030-01-01 00:00:00"}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): scheduled_at must be an ISO 8601 time with a UTC offset, like "2026-01-02T03:04:05Z"',
    'a scheduled_at without a UTC offset is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t", "scheduled_at": "2030-02-31T00:00:00Z"}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): scheduled_at "2030-02-31T00:00:00Z" is not a valid time',
    'an impossible date is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t", "kwargs": [1]}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): kwargs must be a JSON object', 'kwargs that is not an object is refused');
SELECT throws_ok($$SELECT * FROM chancy.push_many('[{"func": "t", "meta": {"retry_settings": {"backof": 1}}}]')$$, 'CH002',
    'invalid job at jobs[0] (ord 1): meta.retry_settings has unknown key backof (known: backoff, backoff_factor, backoff_limit, backoff_jitter)',
    'a misspelt retry setting is refused');
SELECT is((SELECT count(*)::integer FROM chancy.jobs), 0, 'no refused batch stored anything');

SELECT * FROM finish();
ROLLBACK;
