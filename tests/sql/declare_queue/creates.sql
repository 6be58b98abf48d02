-- declare_queue: creates a queue with the given settings and returns it.
BEGIN;
SELECT plan(4);

CREATE TEMP TABLE declared AS
SELECT * FROM chancy.declare_queue('mail', concurrency => 4, executor => 'thread', executor_options => '{"x": 1}',
    polling_interval => 0.5, rate_limit => 10, rate_limit_window => 60, tags => '{gpu}',
    retry_settings => '{"backoff": 2}', state => 'paused');

SELECT row_eq($$SELECT d.name, d.state, d.concurrency, d.executor, d.executor_options, d.polling_interval,
                       d.rate_limit, d.rate_limit_window, d.tags, d.retry_settings FROM declared AS d$$,
    ROW('mail'::text, 'paused'::text, 4, 'thread'::text, '{"x": 1}'::jsonb, 0.5::double precision, 10, 60,
        '{gpu}'::text[], '{"backoff": 2}'::jsonb),
    'declare_queue returns the queue with every setting');
SELECT row_eq($$SELECT q.name, q.state, q.concurrency FROM chancy.queues AS q WHERE q.name = 'mail'$$,
    ROW('mail'::text, 'paused'::text, 4), 'the queue is stored');
SELECT row_eq($$SELECT q.executor, q.polling_interval, q.rate_limit FROM chancy.declare_queue('plain') AS q$$,
    ROW('process'::text, 1::double precision, NULL::integer), 'defaults: process executor, 1 s polling, no rate limit');
SELECT is((SELECT q.state FROM chancy.queues AS q WHERE q.name = 'default'), 'active', 'install created the default queue');

SELECT * FROM finish();
ROLLBACK;
