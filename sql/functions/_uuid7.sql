-- chancy._uuid7(ts, seq): one time-ordered UUID version 7 for time ts.
--
-- The layout is described in _uuid7_series, which makes the id: 48 bits of
-- Unix milliseconds, the sub-millisecond fraction of ts in the 12 rand_a
-- bits (so ids made one after another from clock_timestamp() keep their
-- order), seq in the top 20 bits of rand_b, then random bits. Locks
-- nothing; VOLATILE because of random(); STRICT: NULL gives NULL.

CREATE OR REPLACE FUNCTION chancy._uuid7(ts timestamptz, seq integer DEFAULT 0)
RETURNS uuid
LANGUAGE sql
VOLATILE
STRICT
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
    SELECT s.id FROM chancy._uuid7_series(_uuid7.ts, 1, _uuid7.seq) AS s
$fn$;

COMMENT ON FUNCTION chancy._uuid7(timestamptz, integer) IS
    'Time-ordered UUIDv7 for ts; sub-millisecond fraction in rand_a, seq in the top of rand_b.';
