-- fail: a given delay wins; else the job's meta.retry_settings, then the
-- queue's retry_settings, then the defaults.
BEGIN;
SELECT plan(4);

SELECT chancy.declare_queue('slow', retry_settings => '{"backoff": 100, "backoff_jitter": 0}') IS NOT NULL AS ok \gset
SELECT chancy.push('t.a', max_attempts => 5) AS a \gset
SELECT chancy.push('t.q', queue => 'slow', max_attempts => 5) AS q \gset
SELECT chancy.push('t.m', queue => 'slow', max_attempts => 5,
                   meta => '{"retry_settings": {"backoff": 7}}') AS m \gset
SELECT chancy.push('t.n', queue => 'slow', max_attempts => 5) AS n \gset

CREATE TEMP TABLE claimed AS
SELECT * FROM chancy.fetch('default', 'w1', 10)
UNION ALL SELECT * FROM chancy.fetch('slow', 'w1', 10);

CREATE TEMP TABLE failed AS
SELECT f.* FROM chancy.fail(
    (SELECT array_agg(c.id ORDER BY c.id) FROM claimed AS c),
    (SELECT array_agg(c.claim_id ORDER BY c.id) FROM claimed AS c),
    (SELECT array_agg('{"type": "E"}'::jsonb) FROM claimed AS c),
    (SELECT array_agg(CASE WHEN c.func = 't.n' THEN -5 WHEN c.func = 't.a' THEN 30 END ORDER BY c.id) FROM claimed AS c)
) AS f;

SELECT is((SELECT f.scheduled_at FROM failed AS f WHERE f.id = :'a'), now() + interval '30 seconds',
    'a given retry delay is used as is');
SELECT is((SELECT f.scheduled_at FROM failed AS f WHERE f.id = :'q'), now() + interval '100 seconds',
    'without a delay, the queue''s retry_settings apply');
SELECT ok((SELECT f.scheduled_at BETWEEN now() + interval '7 seconds' AND now() + interval '7 seconds' * 1.1 FROM failed AS f WHERE f.id = :'m'),
    'the job''s meta.retry_settings override the queue''s, key by key');
SELECT is((SELECT f.scheduled_at FROM failed AS f WHERE f.id = :'n'), now(), 'a negative delay counts as 0');

SELECT * FROM finish();
ROLLBACK;
