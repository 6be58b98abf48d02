-- resign: the leader's lease expires now and the term is kept, so the next
-- leader gets a higher one.
BEGIN;
SELECT plan(5);

SELECT count(*) FROM chancy.elect('w1', 30);
SELECT is(chancy.resign('w2'), false, 'a worker that does not lead cannot resign');
SELECT is(chancy.resign('w1'), true, 'the leader resigns');
SELECT row_eq($$SELECT l.worker_id, l.term, l.expires_at FROM chancy.leader AS l$$, ROW('w1'::text, 1::bigint, now()),
    'the row stays with its term, expired now');
SELECT is(chancy.resign('w1'), false, 'resigning twice returns false');
SELECT row_eq($$SELECT e.is_leader, e.term FROM chancy.elect('w2', 30) AS e$$, ROW(true, 2::bigint),
    'the next leader gets term 2');

SELECT * FROM finish();
ROLLBACK;
