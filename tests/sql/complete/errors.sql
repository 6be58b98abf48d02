-- complete: arrays of different lengths or a meta that is not an object
-- raise 22023; empty arrays change nothing.
BEGIN;
SELECT plan(4);

SELECT throws_ok($$SELECT * FROM chancy.complete(ARRAY[gen_random_uuid()], ARRAY[]::uuid[])$$, '22023',
    'complete: job_ids has 1 elements but claim_ids has 0', 'claim_ids shorter than job_ids is refused');
SELECT throws_ok($$SELECT * FROM chancy.complete(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['{}'::jsonb, '{}'])$$,
    '22023', 'complete: job_ids has 1 elements but metas has 2', 'metas of another length is refused');
SELECT throws_ok($$SELECT * FROM chancy.complete(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['[]'::jsonb])$$,
    '22023', 'complete: each of metas must be a JSON object or NULL', 'a meta that is not an object is refused');
SELECT is_empty($$SELECT * FROM chancy.complete(ARRAY[]::uuid[], ARRAY[]::uuid[])$$, 'empty arrays return no rows');

SELECT * FROM finish();
ROLLBACK;
