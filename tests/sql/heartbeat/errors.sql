-- heartbeat: bad arguments raise 22023.
BEGIN;
SELECT plan(4);

SELECT throws_ok($$SELECT * FROM chancy.heartbeat('', 30, 60)$$, '22023',
    'heartbeat: worker_id must be a non-empty text', 'an empty worker_id is refused');
SELECT throws_ok($$SELECT * FROM chancy.heartbeat('w1', 0, 60)$$, '22023',
    'heartbeat: ttl_seconds must be a positive number of seconds up to 315360000 (ten years), got 0', 'a ttl of 0 is refused');
SELECT throws_ok($$SELECT * FROM chancy.heartbeat('w1', 30, -1)$$, '22023',
    'heartbeat: lease_seconds must be a positive number of seconds up to 315360000 (ten years), got -1', 'a negative lease is refused');
SELECT is((SELECT count(*)::integer FROM chancy.workers), 0, 'no refused heartbeat stored a worker');

SELECT * FROM finish();
ROLLBACK;
