-- fail: a claim that is no longer current changes nothing.
BEGIN;
SELECT plan(3);

SELECT chancy.push('t.a', max_attempts => 3) AS a \gset
SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset

SELECT is_empty($$SELECT * FROM chancy.fail(ARRAY['$$ || :'a' || $$'::uuid], ARRAY[gen_random_uuid()], ARRAY['{}'::jsonb])$$,
    'a wrong claim_id is refused and absent from the result');
SELECT row_eq($$SELECT j.state, j.errors FROM chancy.jobs AS j$$, ROW('running'::text, '[]'::jsonb),
    'the job is still running without errors');
SELECT is_empty($$SELECT * FROM chancy.fail(ARRAY[gen_random_uuid()], ARRAY[gen_random_uuid()], ARRAY['{}'::jsonb])$$,
    'an unknown job id gives no row');

SELECT * FROM finish();
ROLLBACK;
