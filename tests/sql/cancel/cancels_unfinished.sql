-- cancel: pending, retrying and running jobs become cancelled.
BEGIN;
SELECT plan(5);

SELECT chancy.push('t.running') AS running \gset
SELECT count(*) FROM chancy.fetch('default', 'w1', 1);
SELECT chancy.push('t.pending') AS pending \gset
SELECT chancy.push('t.retrying', max_attempts => 2) AS retrying \gset
UPDATE chancy.jobs AS j SET state = 'retrying', attempts = 1 WHERE j.id = :'retrying';

SELECT results_eq($$SELECT x.id FROM chancy.cancel(ARRAY['$$ || :'running' || $$', '$$ || :'pending' || $$', '$$ || :'retrying' || $$']::uuid[]) AS x(id) ORDER BY 1$$,
    $$SELECT j.id FROM chancy.jobs AS j ORDER BY 1$$, 'cancel returns every id it cancelled');
SELECT ok((SELECT bool_and(j.state = 'cancelled' AND j.completed_at = now()) FROM chancy.jobs AS j),
    'all three are cancelled with completed_at now()');
SELECT row_eq($$SELECT j.claim_id, j.lease_expires_at FROM chancy.jobs AS j WHERE j.func = 't.running'$$,
    ROW(NULL::uuid, NULL::timestamptz), 'the running job''s claim and lease are cleared');
SELECT is((SELECT j.taken_by FROM chancy.jobs AS j WHERE j.id = :'running'), 'w1', 'the worker that ran it is still recorded');
SELECT is_empty($$SELECT * FROM chancy.complete(ARRAY['$$ || :'running' || $$'::uuid],
        ARRAY[(SELECT j.claim_id FROM chancy.jobs AS j WHERE j.id = '$$ || :'running' || $$')])$$,
    'the cancelled job cannot be completed any more');

SELECT * FROM finish();
ROLLBACK;
