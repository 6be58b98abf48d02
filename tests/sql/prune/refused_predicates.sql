-- prune: malformed predicates raise CH006; other bad arguments 22023 / CH003.
BEGIN;
SELECT plan(8);

SELECT throws_ok($$SELECT chancy.prune('')$$, 'CH006', NULL, 'an empty predicate is refused');
SELECT throws_ok($$SELECT chancy.prune(NULL)$$, 'CH006', NULL, 'a NULL predicate is refused');
SELECT throws_ok($$SELECT chancy.prune('true; DELETE FROM chancy.queues')$$, 'CH006', NULL, 'a ";" is refused');
SELECT throws_ok($$SELECT chancy.prune('true --')$$, 'CH006', NULL, 'a comment is refused');
SELECT throws_ok($$SELECT chancy.prune('j.no_such_column > 1')$$, 'CH006',
    'invalid prune rule ''j.no_such_column > 1'': column j.no_such_column does not exist',
    'an unknown column is refused, naming the predicate');
SELECT throws_ok($$SELECT chancy.prune('j.attempts')$$, 'CH006', NULL, 'a predicate that is not boolean is refused');
SELECT throws_ok($$SELECT chancy.prune('true', 0)$$, '22023', NULL, 'max_rows 0 is refused');
SELECT throws_ok($$SELECT chancy.prune('true', 10, 99)$$, 'CH003', NULL, 'a term that is not the leader''s is refused');

SELECT * FROM finish();
ROLLBACK;
