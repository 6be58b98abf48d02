-- push: while a job holds a unique_key, pushing the key returns that job
-- and changes nothing; once it finished, the key is free again.
BEGIN;
SELECT plan(7);

SELECT chancy.push('t.u', '{"n": 1}', unique_key => 'k1') AS first \gset
SELECT chancy.push('t.u', '{"n": 2}', priority => 9, unique_key => 'k1') AS second \gset

SELECT is(:'second'::uuid, :'first'::uuid, 'a pending holder''s id is returned');
SELECT is((SELECT j.kwargs FROM chancy.jobs AS j WHERE j.id = :'first'), '{"n": 1}'::jsonb,
    'the holder''s kwargs are unchanged');
SELECT is((SELECT j.priority FROM chancy.jobs AS j WHERE j.id = :'first'), 0,
    'the holder''s priority is unchanged');
SELECT is((SELECT count(*)::integer FROM chancy.jobs AS j WHERE j.unique_key = 'k1'), 1,
    'only one job carries the key');

SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset
SELECT is(chancy.push('t.u', unique_key => 'k1'), :'first'::uuid, 'a running holder''s id is returned');

SELECT chancy.complete(ARRAY[:'first'::uuid], ARRAY[:'claim'::uuid]) AS done \gset
SELECT chancy.push('t.u', unique_key => 'k1') AS third \gset
SELECT isnt(:'third'::uuid, :'first'::uuid, 'after the holder succeeded, the key makes a new job');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'third'), 'pending', 'the new job is pending');

SELECT * FROM finish();
ROLLBACK;
