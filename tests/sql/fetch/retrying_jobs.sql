-- fetch: a retrying job is claimed again when due, counting a new attempt.
BEGIN;
SELECT plan(4);

SELECT chancy.push('t.flaky', max_attempts => 3) AS id \gset
SELECT f.claim_id AS claim1 FROM chancy.fetch('default', 'w1', 1) AS f \gset
SELECT r.state AS st FROM chancy.fail(ARRAY[:'id'::uuid], ARRAY[:'claim1'::uuid],
    ARRAY['{"type": "E", "message": "m"}'::jsonb], ARRAY[0::double precision]) AS r \gset

SELECT is(:'st'::text, 'retrying', 'the failed job is retrying');
SELECT f.claim_id AS claim2, f.attempts AS attempts FROM chancy.fetch('default', 'w2', 1) AS f \gset
SELECT is(:'attempts'::integer, 2, 'the second claim counts attempt 2');
SELECT isnt(:'claim2'::uuid, :'claim1'::uuid, 'the second claim has a new claim_id');
SELECT is((SELECT j.taken_by FROM chancy.jobs AS j WHERE j.id = :'id'), 'w2', 'the job is taken by the new worker');

SELECT * FROM finish();
ROLLBACK;
