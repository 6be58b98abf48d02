-- fetch: only due jobs of the named queue are claimed, at most max_jobs.
BEGIN;
SELECT plan(5);

SELECT chancy.declare_queue('other') IS NOT NULL AS ok \gset
SELECT chancy.push('t.future', scheduled_at => now() + interval '1 hour') AS future \gset
SELECT chancy.push('t.other', queue => 'other') AS other \gset
SELECT chancy.push('t.due1') AS due1 \gset
SELECT chancy.push('t.due2') AS due2 \gset

SELECT results_eq($$SELECT f.func FROM chancy.fetch('default', 'w1', 1) AS f$$, ARRAY['t.due1'],
    'max_jobs 1 claims only the oldest due job');
SELECT results_eq($$SELECT f.func FROM chancy.fetch('default', 'w1', 10) AS f$$, ARRAY['t.due2'],
    'a later fetch claims the rest, not the future job');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'future'), 'pending',
    'a job scheduled in the future stays pending');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'other'), 'pending',
    'a job of another queue stays pending');
SELECT is_empty($$SELECT * FROM chancy.fetch('default', 'w1', 10)$$, 'nothing due: no rows');

SELECT * FROM finish();
ROLLBACK;
