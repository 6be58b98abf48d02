-- delete_jobs: deletes jobs in any state; unknown ids are ignored.
BEGIN;
SELECT plan(3);

SELECT chancy.push('t.a') AS a \gset
SELECT chancy.push('t.b') AS b \gset
SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset

SELECT results_eq($$SELECT x.id FROM chancy.delete_jobs(ARRAY['$$ || :'a' || $$', '$$ || :'b' || $$']::uuid[] || gen_random_uuid()) AS x(id) ORDER BY 1$$,
    ARRAY[:'a'::uuid, :'b'::uuid], 'the running and the pending job are deleted and returned');
SELECT is((SELECT count(*)::integer FROM chancy.jobs), 0, 'no job is left');
SELECT is_empty($$SELECT * FROM chancy.complete(ARRAY['$$ || :'a' || $$'::uuid], ARRAY['$$ || :'claim' || $$'::uuid])$$,
    'completing a deleted job changes nothing');

SELECT * FROM finish();
ROLLBACK;
