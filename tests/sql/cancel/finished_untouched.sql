-- cancel: finished jobs and unknown ids are left alone and not returned.
BEGIN;
SELECT plan(3);

SELECT chancy.push('t.done') AS done \gset
SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset
SELECT chancy.complete(ARRAY[:'done'::uuid], ARRAY[:'claim'::uuid]) AS c \gset

SELECT is_empty($$SELECT * FROM chancy.cancel(ARRAY['$$ || :'done' || $$'::uuid, gen_random_uuid()])$$,
    'a succeeded job and an unknown id give no rows');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'done'), 'succeeded', 'the succeeded job stays succeeded');
SELECT is_empty($$SELECT * FROM chancy.cancel(ARRAY[]::uuid[])$$, 'an empty array gives no rows');

SELECT * FROM finish();
ROLLBACK;
