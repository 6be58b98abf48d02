-- _check_batch: parallel arrays must match in length and hold no NULL id.
BEGIN;
SELECT plan(5);

SELECT lives_ok($$SELECT chancy._check_batch('f', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], 1, 'x')$$,
    'matching lengths pass');
SELECT throws_ok($$SELECT chancy._check_batch('f', NULL, ARRAY[]::uuid[])$$, '22023',
    'f: job_ids and claim_ids must not be NULL', 'NULL job_ids is refused');
SELECT throws_ok($$SELECT chancy._check_batch('f', ARRAY[NULL]::uuid[], ARRAY[gen_random_uuid()])$$, '22023',
    'f: job_ids must not contain NULL (element 1)', 'a NULL job id is refused');
SELECT throws_ok($$SELECT chancy._check_batch('f', ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], 2, 'metas')$$,
    '22023', 'f: job_ids has 1 elements but metas has 2', 'another array of a different length is refused');
SELECT lives_ok($$SELECT chancy._check_batch('f', ARRAY[]::uuid[], ARRAY[]::uuid[])$$, 'empty arrays pass');

SELECT * FROM finish();
ROLLBACK;
