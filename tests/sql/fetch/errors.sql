-- fetch: an unknown queue raises CH001; bad arguments raise 22023.
BEGIN;
SELECT plan(7);

SELECT throws_ok($$SELECT * FROM chancy.fetch('ghost', 'w1', 1)$$, 'CH001', 'unknown queue "ghost"',
    'fetching an unknown queue raises CH001 naming it');
SELECT throws_ok($$SELECT * FROM chancy.fetch('default', 'w1', 0)$$, '22023',
    'fetch: max_jobs must be at least 1, got 0', 'max_jobs 0 is refused');
SELECT throws_ok($$SELECT * FROM chancy.fetch('default', 'w1', 1, 0)$$, '22023',
    'fetch: lease_seconds must be a positive number of seconds up to 315360000 (ten years), got 0', 'a lease of 0 seconds is refused');
SELECT throws_ok($$SELECT * FROM chancy.fetch('default', '', 1)$$, '22023',
    'fetch: worker_id must be a non-empty text', 'an empty worker_id is refused');
SELECT throws_ok($$SELECT * FROM chancy.fetch('default', NULL, 1)$$, '22023', NULL,
    'a NULL worker_id is refused');

SELECT throws_ok($$SELECT * FROM chancy.fetch('default', 'w1', 1, 'NaN')$$, '22023', NULL, 'a NaN lease is refused');
SELECT throws_ok($$SELECT * FROM chancy.fetch('default', 'w1', 1, 1e300)$$, '22023', NULL,
    'a lease beyond ten years is refused');

SELECT * FROM finish();
ROLLBACK;
