-- recover: with a term, only the live leader's term is accepted (CH003).
BEGIN;
SELECT plan(4);

SELECT throws_ok($$SELECT * FROM chancy.recover(10, 1)$$, 'CH003',
    'term 1 is not the live leader''s term (live term: none)', 'a term with no leader is refused');
SELECT e.term AS term FROM chancy.elect('w1', 30) AS e \gset
SELECT lives_ok(format('SELECT * FROM chancy.recover(10, %s)', :'term'), 'the live leader''s term is accepted');
SELECT throws_ok(format('SELECT * FROM chancy.recover(10, %s)', :'term'::bigint + 1), 'CH003', NULL,
    'another term is refused');
UPDATE chancy.leader AS l SET expires_at = now() - interval '1 second';
SELECT throws_ok(format('SELECT * FROM chancy.recover(10, %s)', :'term'), 'CH003', NULL,
    'the term of an expired lease is refused');

SELECT * FROM finish();
ROLLBACK;
