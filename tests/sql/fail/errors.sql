-- fail: malformed arguments raise 22023.
BEGIN;
SELECT plan(5);

SELECT throws_ok($$SELECT * FROM chancy.fail(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY[]::jsonb[])$$,
    '22023', 'fail: job_ids has 1 elements but errors has 0', 'errors of another length is refused');
SELECT throws_ok($$SELECT * FROM chancy.fail(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['"oops"'::jsonb])$$,
    '22023', NULL, 'an error that is not a JSON object is refused');
SELECT throws_ok($$SELECT * FROM chancy.fail(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['{}'::jsonb], ARRAY['Infinity'::double precision])$$,
    '22023', NULL, 'an infinite retry delay is refused');
SELECT throws_ok($$SELECT * FROM chancy.fail(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['{}'::jsonb], NULL, ARRAY['1'::jsonb])$$,
    '22023', 'fail: each of metas must be a JSON object or NULL', 'a meta that is not an object is refused');

SELECT throws_ok($$SELECT * FROM chancy.fail(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['{}'::jsonb], NULL,
        ARRAY['{"retry_settings": {"backoff": "soon"}}'::jsonb])$$,
    '22023', 'fail: a meta.retry_settings is malformed (backoff must be a number >= 0)',
    'a meta with malformed retry_settings is refused');

SELECT * FROM finish();
ROLLBACK;
