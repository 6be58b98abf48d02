-- fail: with no attempt left, the job becomes failed.
BEGIN;
SELECT plan(4);

SELECT chancy.push('t.once') AS a \gset
SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset

SELECT results_eq($$SELECT f.state FROM chancy.fail(ARRAY['$$ || :'a' || $$'::uuid], ARRAY['$$ || :'claim' || $$'::uuid],
        ARRAY['{"type": "E", "message": "boom"}'::jsonb]) AS f$$,
    ARRAY['failed'], 'max_attempts 1: the first failure is final');
SELECT is((SELECT j.completed_at FROM chancy.jobs AS j WHERE j.id = :'a'), now(), 'completed_at is now()');
SELECT is((SELECT jsonb_array_length(j.errors) FROM chancy.jobs AS j WHERE j.id = :'a'), 1, 'one error is recorded');
SELECT is((SELECT j.errors -> 0 -> 'traceback' FROM chancy.jobs AS j WHERE j.id = :'a'), 'null'::jsonb,
    'a missing traceback is recorded as null');

SELECT * FROM finish();
ROLLBACK;
