-- heartbeat: extends the leases of the worker's running jobs and returns
-- the (id, claim_id) it still holds.
BEGIN;
SELECT plan(4);

SELECT chancy.push('t.mine') AS mine \gset
SELECT chancy.push('t.gone') AS gone \gset
SELECT chancy.push('t.theirs') AS theirs \gset
CREATE TEMP TABLE mine AS SELECT * FROM chancy.fetch('default', 'w1', 2, lease_seconds => 5);
SELECT count(*) FROM chancy.fetch('default', 'w2', 1, lease_seconds => 5);
SELECT chancy.cancel(ARRAY[:'gone'::uuid]) AS c \gset

SELECT results_eq($$SELECT h.id, h.claim_id FROM chancy.heartbeat('w1', 30, 120) AS h$$,
    $$SELECT m.id, m.claim_id FROM mine AS m WHERE m.func = 't.mine'$$,
    'heartbeat returns only the job the worker still validly holds');
SELECT is((SELECT j.lease_expires_at FROM chancy.jobs AS j WHERE j.id = :'mine'), now() + interval '120 seconds',
    'its lease is extended to now + lease_seconds');
SELECT is((SELECT j.lease_expires_at FROM chancy.jobs AS j WHERE j.id = :'theirs'), now() + interval '5 seconds',
    'another worker''s lease is untouched');
SELECT is_empty($$SELECT * FROM chancy.heartbeat('w3', 30, 120)$$, 'a worker holding nothing gets no rows');

SELECT * FROM finish();
ROLLBACK;
