-- _retry_settings_problem: NULL for valid settings, else what is wrong.
BEGIN;
SELECT plan(6);

SELECT is(chancy._retry_settings_problem(NULL), NULL, 'NULL settings are fine');
SELECT is(chancy._retry_settings_problem('{"backoff": 1, "backoff_factor": 2.5, "backoff_limit": 0, "backoff_jitter": 0.1}'),
    NULL, 'all four keys with numbers >= 0 are fine');
SELECT is(chancy._retry_settings_problem('[]'), 'must be a JSON object', 'an array is refused');
SELECT is(chancy._retry_settings_problem('{"delay": 1}'),
    'has unknown key delay (known: backoff, backoff_factor, backoff_limit, backoff_jitter)', 'an unknown key is named');
SELECT is(chancy._retry_settings_problem('{"backoff_limit": -1}'), 'backoff_limit must be a number >= 0',
    'a negative number is refused by key');
SELECT is(chancy._retry_settings_problem('{"backoff": "1"}'), 'backoff must be a number >= 0',
    'a number given as a string is refused');

SELECT * FROM finish();
ROLLBACK;
