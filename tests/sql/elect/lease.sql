-- elect: the first caller leads; the holder renews with the same term;
-- others are refused while the lease is live.
BEGIN;
SELECT plan(5);

SELECT row_eq($$SELECT * FROM chancy.elect('w1', 30)$$, ROW(true, 1::bigint, 'w1'::text, now() + interval '30 seconds'),
    'the first worker leads with term 1');
SELECT row_eq($$SELECT * FROM chancy.elect('w2', 30)$$, ROW(false, 1::bigint, 'w1'::text, now() + interval '30 seconds'),
    'another worker is refused and told who leads');
SELECT row_eq($$SELECT * FROM chancy.elect('w1', 60)$$, ROW(true, 1::bigint, 'w1'::text, now() + interval '60 seconds'),
    'the leader renews its lease and keeps its term');
SELECT is((SELECT count(*)::integer FROM chancy.leader), 1, 'the lease table holds one row');
SELECT is((SELECT l.elected_at FROM chancy.leader AS l), now(), 'elected_at is the time of election');

SELECT * FROM finish();
ROLLBACK;
