-- push: ids are UUIDv7 and sort in push order.
BEGIN;
SELECT plan(3);

SELECT chancy.push('t.1') AS a \gset
SELECT chancy.push('t.2') AS b \gset
SELECT chancy.push('t.3') AS c \gset

SELECT ok(:'a'::uuid < :'b'::uuid AND :'b'::uuid < :'c'::uuid, 'ids increase with push order');
SELECT is(substr(:'a', 15, 1), '7', 'ids are version 7 UUIDs');
SELECT ok(abs(('x' || substr(replace(:'a', '-', ''), 1, 12))::bit(48)::bigint
              - floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) < 60000,
    'the id carries the push time in milliseconds');

SELECT * FROM finish();
ROLLBACK;
