-- prune: deletes at most max_rows jobs per call.
BEGIN;
SELECT plan(2);

SELECT count(*) FROM chancy.push_many('[{"func": "t"}, {"func": "t"}, {"func": "t"}]');
SELECT count(*) FROM chancy.cancel(ARRAY(SELECT j.id FROM chancy.jobs AS j));

SELECT is(chancy.prune(max_rows => 2), 2::bigint, 'max_rows 2 deletes two jobs');
SELECT is(chancy.prune(max_rows => 2), 1::bigint, 'the next call deletes the rest');

SELECT * FROM finish();
ROLLBACK;
