-- complete: jobs running under the given claim become succeeded.
BEGIN;
SELECT plan(7);

SELECT chancy.push('t.a', meta => '{"keep": 1}') AS a \gset
SELECT chancy.push('t.b', meta => '{"old": 1}') AS b \gset
CREATE TEMP TABLE claimed AS SELECT * FROM chancy.fetch('default', 'w1', 2);

SELECT results_eq($$SELECT x.id FROM chancy.complete(
        (SELECT array_agg(c.id ORDER BY c.id) FROM claimed AS c),
        (SELECT array_agg(c.claim_id ORDER BY c.id) FROM claimed AS c),
        ARRAY[NULL, '{"new": 2}'::jsonb]) AS x(id) ORDER BY x.id$$,
    ARRAY[:'a'::uuid, :'b'::uuid], 'complete returns the ids it changed');
SELECT ok((SELECT bool_and(j.state = 'succeeded') FROM chancy.jobs AS j), 'both jobs are succeeded');
SELECT ok((SELECT bool_and(j.completed_at = now()) FROM chancy.jobs AS j), 'completed_at is now()');
SELECT ok((SELECT bool_and(j.claim_id IS NULL AND j.lease_expires_at IS NULL) FROM chancy.jobs AS j),
    'the claim and lease are cleared');
SELECT ok((SELECT bool_and(j.taken_by = 'w1' AND j.started_at IS NOT NULL) FROM chancy.jobs AS j),
    'taken_by and started_at record the last run');
SELECT is((SELECT j.meta FROM chancy.jobs AS j WHERE j.id = :'a'), '{"keep": 1}'::jsonb, 'a NULL meta keeps the stored one');
SELECT is((SELECT j.meta FROM chancy.jobs AS j WHERE j.id = :'b'), '{"new": 2}'::jsonb, 'a given meta replaces it');

SELECT * FROM finish();
ROLLBACK;
