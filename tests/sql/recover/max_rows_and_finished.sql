-- recover: takes at most max_rows jobs, oldest lease first, and never a
-- finished job.
BEGIN;
SELECT plan(3);

SELECT count(*) FROM chancy.push_many('[{"func": "t.1"}, {"func": "t.2"}, {"func": "t.3"}]');
SELECT count(*) FROM chancy.fetch('default', 'w1', 3);
UPDATE chancy.jobs AS j SET lease_expires_at = now() - (substr(j.func, 3)::integer * interval '1 minute');
-- A finished job that somehow kept an old lease time is not running, so recover ignores it.
SELECT chancy.push('t.done') AS done \gset
SELECT f.claim_id AS claim FROM chancy.fetch('default', 'w1', 1) AS f \gset
SELECT chancy.complete(ARRAY[:'done'::uuid], ARRAY[:'claim'::uuid]) AS c \gset

SELECT results_eq($$SELECT j.func FROM chancy.recover(2) AS r JOIN chancy.jobs AS j ON j.id = r.id ORDER BY j.func DESC$$,
    ARRAY['t.3', 't.2'], 'max_rows 2 takes the two oldest leases');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.func = 't.1'), 'running', 'the third waits for the next run');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'done'), 'succeeded', 'a finished job is untouched');

SELECT * FROM finish();
ROLLBACK;
