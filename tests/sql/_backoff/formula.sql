-- _backoff: min(limit, backoff * factor^(attempts-1)) * (1 + jitter * random()).
BEGIN;
SELECT plan(6);

SELECT is(chancy._backoff(1, '{"backoff_jitter": 0}'), 1::double precision, 'attempt 1 waits backoff (1 s)');
SELECT is(chancy._backoff(4, '{"backoff_jitter": 0}'), 8::double precision, 'attempt 4 waits 1 * 2^3 s');
SELECT is(chancy._backoff(20, '{"backoff_jitter": 0}'), 300::double precision, 'the delay is capped at backoff_limit');
SELECT is(chancy._backoff(1000, '{"backoff_jitter": 0, "backoff_factor": 1000}'), 300::double precision,
    'huge powers do not overflow');
SELECT is(chancy._backoff(2, '{"backoff": 3}', '{"backoff": 5, "backoff_factor": 10, "backoff_jitter": 0}'),
    30::double precision, 'job settings win over queue settings, key by key');
SELECT ok((SELECT bool_and(chancy._backoff(1) BETWEEN 1 AND 1.1) FROM generate_series(1, 100)),
    'the default jitter adds up to 10%');

SELECT * FROM finish();
ROLLBACK;
