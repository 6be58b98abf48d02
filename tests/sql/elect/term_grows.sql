-- elect: an expired lease is taken by another worker with a higher term;
-- the term is never reused, also when a worker comes back.
BEGIN;
SELECT plan(4);

SELECT count(*) FROM chancy.elect('w1', 30);
UPDATE chancy.leader AS l SET expires_at = now() - interval '1 second';
SELECT row_eq($$SELECT e.is_leader, e.term, e.leader_id FROM chancy.elect('w2', 30) AS e$$, ROW(true, 2::bigint, 'w2'::text),
    'another worker takes an expired lease with term 2');
SELECT row_eq($$SELECT e.is_leader, e.term FROM chancy.elect('w1', 30) AS e$$, ROW(false, 2::bigint),
    'the old leader cannot renew a lease it lost');
UPDATE chancy.leader AS l SET expires_at = now() - interval '1 second';
SELECT row_eq($$SELECT e.is_leader, e.term FROM chancy.elect('w2', 30) AS e$$, ROW(true, 3::bigint),
    'taking back one''s own expired lease still grows the term');
SELECT throws_ok($$SELECT * FROM chancy.elect('w1', 0)$$, '22023', NULL, 'a ttl of 0 is refused');

SELECT * FROM finish();
ROLLBACK;
