-- fetch: claims due jobs highest priority first, then in push order.
BEGIN;
SELECT plan(5);

SELECT chancy.push('t.low1', priority => 0) AS low1 \gset
SELECT chancy.push('t.high', priority => 5) AS high \gset
SELECT chancy.push('t.low2', priority => 0) AS low2 \gset

CREATE TEMP TABLE claimed AS SELECT * FROM chancy.fetch('default', 'w1', 10);

SELECT results_eq('SELECT c.func FROM claimed AS c',
    ARRAY['t.high', 't.low1', 't.low2'],
    'fetch returns the jobs by priority, then push order');
SELECT ok((SELECT bool_and(c.state = 'running') FROM claimed AS c),
    'claimed jobs are running');
SELECT ok((SELECT bool_and(c.taken_by = 'w1' AND c.attempts = 1 AND c.claim_id IS NOT NULL) FROM claimed AS c),
    'claimed jobs carry the worker, a claim and a counted attempt');
SELECT ok((SELECT bool_and(c.lease_expires_at = now() + interval '60 seconds') FROM claimed AS c),
    'the default lease is 60 seconds from now');
SELECT is_empty('SELECT * FROM chancy.fetch(''default'', ''w2'', 10)',
    'a second fetch finds nothing left to claim');

SELECT * FROM finish();
ROLLBACK;
