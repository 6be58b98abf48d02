-- prune: deletes finished jobs matching the predicate, never unfinished ones.
BEGIN;
SELECT plan(5);

SELECT count(*) FROM chancy.push_many('[{"func": "t.ok"}, {"func": "t.bad"}, {"func": "t.gone"}, {"func": "t.run"}]');
SELECT chancy.push('t.pending') AS pending \gset
SELECT chancy.push('t.retrying', max_attempts => 2) AS retrying \gset
UPDATE chancy.jobs AS j SET state = 'retrying', attempts = 1 WHERE j.id = :'retrying';
CREATE TEMP TABLE claimed AS SELECT * FROM chancy.fetch('default', 'w1', 4);
SELECT count(*) FROM chancy.complete(ARRAY(SELECT c.id FROM claimed AS c WHERE c.func = 't.ok'),
                                     ARRAY(SELECT c.claim_id FROM claimed AS c WHERE c.func = 't.ok'));
SELECT count(*) FROM chancy.fail(ARRAY(SELECT c.id FROM claimed AS c WHERE c.func = 't.bad'),
                                 ARRAY(SELECT c.claim_id FROM claimed AS c WHERE c.func = 't.bad'), ARRAY['{}'::jsonb]);
SELECT count(*) FROM chancy.cancel(ARRAY(SELECT c.id FROM claimed AS c WHERE c.func = 't.gone'));

SELECT is(chancy.prune($$j.func <> 't.ok'$$), 2::bigint, 'the matching failed and cancelled jobs are deleted');
SELECT results_eq($$SELECT j.func FROM chancy.jobs AS j ORDER BY j.func$$,
    ARRAY['t.ok', 't.pending', 't.retrying', 't.run'], 'the others remain');
SELECT is(chancy.prune(), 1::bigint, 'the default predicate deletes every finished job');
SELECT is(chancy.prune('true) OR (true'), 0::bigint, 'a predicate escaping its parentheses still spares unfinished jobs');
SELECT results_eq($$SELECT j.func FROM chancy.jobs AS j ORDER BY j.func$$,
    ARRAY['t.pending', 't.retrying', 't.run'], 'pending, retrying and running jobs are never pruned');

SELECT * FROM finish();
ROLLBACK;
