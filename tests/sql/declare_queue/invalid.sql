-- declare_queue: malformed settings raise CH005 naming the field.
BEGIN;
SELECT plan(11);

SELECT throws_ok($$SELECT chancy.declare_queue('bad name')$$, 'CH005',
    'invalid queue: name ''bad name'' must be 1 to 200 letters, digits or _ . : - starting with a letter or digit',
    'a name with a space is refused');
SELECT throws_ok($$SELECT chancy.declare_queue(NULL)$$, 'CH005', NULL, 'a NULL name is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', concurrency => 0)$$, 'CH005',
    'invalid queue "q": concurrency must be NULL or from 1 to 100000, got 0', 'concurrency 0 is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', executor => '')$$, 'CH005', NULL, 'an empty executor is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', executor_options => '[]')$$, 'CH005', NULL,
    'executor_options that is not an object is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', polling_interval => 0)$$, 'CH005', NULL, 'polling_interval 0 is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', rate_limit => 5)$$, 'CH005',
    'invalid queue "q": rate_limit and rate_limit_window must be given together', 'a rate_limit without window is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', rate_limit => 0, rate_limit_window => 10)$$, 'CH005', NULL,
    'rate_limit 0 is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', retry_settings => '{"backoff_factor": "x"}')$$, 'CH005',
    'invalid queue "q": retry_settings backoff_factor must be a number >= 0', 'a non-numeric retry setting is refused');
SELECT throws_ok($$SELECT chancy.declare_queue('q', state => 'stopped')$$, 'CH005', NULL, 'an unknown state is refused');
SELECT is((SELECT count(*)::integer FROM chancy.queues), 1, 'only the default queue exists');

SELECT * FROM finish();
ROLLBACK;
