-- complete: a claim that is no longer current changes nothing.
BEGIN;
SELECT plan(6);

SELECT chancy.push('t.a', max_attempts => 2) AS a \gset
SELECT f.claim_id AS old_claim FROM chancy.fetch('default', 'w1', 1) AS f \gset

SELECT is_empty($$SELECT * FROM chancy.complete(ARRAY['$$ || :'a' || $$'::uuid], ARRAY[gen_random_uuid()])$$,
    'a wrong claim_id is refused');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'a'), 'running', 'the job is still running');

-- The lease expires, recover gives the job back, another worker claims it.
UPDATE chancy.jobs AS j SET lease_expires_at = now() - interval '1 second' WHERE j.id = :'a';
SELECT count(*) FROM chancy.recover();
SELECT f.claim_id AS new_claim FROM chancy.fetch('default', 'w2', 1) AS f \gset

SELECT is_empty($$SELECT * FROM chancy.complete(ARRAY['$$ || :'a' || $$'::uuid], ARRAY['$$ || :'old_claim' || $$'::uuid])$$,
    'the first worker''s stale claim is refused after the job was claimed again');
SELECT row_eq($$SELECT j.state, j.taken_by, j.claim_id FROM chancy.jobs AS j WHERE j.id = '$$ || :'a' || $$'$$,
    ROW('running'::text, 'w2'::text, :'new_claim'::uuid), 'the new claim is untouched');

SELECT chancy.cancel(ARRAY[:'a'::uuid]) AS cancelled \gset
SELECT is_empty($$SELECT * FROM chancy.complete(ARRAY['$$ || :'a' || $$'::uuid], ARRAY['$$ || :'new_claim' || $$'::uuid])$$,
    'completing a cancelled job is refused');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'a'), 'cancelled', 'the job stays cancelled');

SELECT * FROM finish();
ROLLBACK;
