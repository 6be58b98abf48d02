-- _check_term: NULL passes; otherwise only the live leader's term passes.
BEGIN;
SELECT plan(5);

SELECT lives_ok($$SELECT chancy._check_term(NULL)$$, 'a NULL term is not fenced');
SELECT throws_ok($$SELECT chancy._check_term(1)$$, 'CH003', 'term 1 is not the live leader''s term (live term: none)',
    'without a leader every term is refused');
SELECT count(*) FROM chancy.elect('w1', 30);
SELECT lives_ok($$SELECT chancy._check_term(1)$$, 'the live leader''s term passes');
SELECT throws_ok($$SELECT chancy._check_term(2)$$, 'CH003', 'term 2 is not the live leader''s term (live term: 1)',
    'another term is refused, naming the live one');
UPDATE chancy.leader AS l SET expires_at = now();
SELECT throws_ok($$SELECT chancy._check_term(1)$$, 'CH003', NULL, 'an expired lease''s term is refused');

SELECT * FROM finish();
ROLLBACK;
