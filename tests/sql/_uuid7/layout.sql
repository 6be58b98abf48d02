-- _uuid7: RFC 9562 version 7 layout; the time, its sub-millisecond part
-- and seq decide the order.
BEGIN;
SELECT plan(8);

SELECT chancy._uuid7('2026-01-02 03:04:05.678901+00') AS u \gset

SELECT is(('x' || substr(replace(:'u', '-', ''), 1, 12))::bit(48)::bigint,
    floor(extract(epoch FROM '2026-01-02 03:04:05.678901+00'::timestamptz) * 1000)::bigint,
    'the first 48 bits are the Unix time in milliseconds');
SELECT is(substr(:'u', 15, 1), '7', 'the version nibble is 7');
SELECT ok(substr(:'u', 20, 1) IN ('8', '9', 'a', 'b'), 'the variant bits are 10');
SELECT ok(chancy._uuid7('2026-01-02 03:04:05.678001+00') < chancy._uuid7('2026-01-02 03:04:05.678002+00'),
    'within one millisecond, a later microsecond sorts later');
SELECT ok(chancy._uuid7('2026-01-02 03:04:05.678901+00', 1) < chancy._uuid7('2026-01-02 03:04:05.678901+00', 2),
    'at the same time, a higher seq sorts later');
SELECT results_eq($$SELECT s.seq FROM chancy._uuid7_series(now(), 1000) AS s ORDER BY s.id$$,
    $$SELECT g FROM generate_series(1, 1000) AS g$$, '_uuid7_series ids sort in seq order');

SELECT is(substr(chancy._uuid7('2026-01-02 03:04:05.678901+00', 5)::text, 1, 23),
    substr((SELECT s.id FROM chancy._uuid7_series('2026-01-02 03:04:05.678901+00', 1, 5) AS s)::text, 1, 23),
    '_uuid7 and _uuid7_series agree on time, fraction and seq bits');
SELECT is(substr(:'u', 16, 3), lpad(to_hex(901 * 4096 / 1000), 3, '0'),
    'rand_a holds the sub-millisecond fraction in 1/4096 ms');

SELECT * FROM finish();
ROLLBACK;
