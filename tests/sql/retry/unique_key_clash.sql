-- retry: a job whose unique_key is now held by another unfinished job is
-- refused with CH008, and nothing changes.
BEGIN;
SELECT plan(2);

SELECT chancy.push('t.a', unique_key => 'once') AS a \gset
SELECT chancy.cancel(ARRAY[:'a'::uuid]) AS c \gset
SELECT chancy.push('t.b', unique_key => 'once') AS b \gset

SELECT throws_ok(format('SELECT * FROM chancy.retry(ARRAY[%L::uuid])', :'a'), 'CH008',
    format('job %s cannot be retried: unique_key ''once'' is held by unfinished job %s', :'a', :'b'),
    'retry raises CH008 naming the job, the key and the holder');
SELECT is((SELECT j.state FROM chancy.jobs AS j WHERE j.id = :'a'), 'cancelled', 'the job stays cancelled');

SELECT * FROM finish();
ROLLBACK;
