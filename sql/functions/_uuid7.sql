-- chancy._uuid7(ts, seq): one time-ordered UUID version 7 for time ts.
--
-- Layout (RFC 9562): 48 bits of Unix milliseconds of ts, the version nibble
-- 7, then in the 12 rand_a bits the sub-millisecond fraction of ts (in steps
-- of 1/4096 ms), so ids made one after another from clock_timestamp() keep
-- their order; then the variant bits, 20 bits of seq and 42 random bits.
-- _uuid7_series makes the same layout in bulk; the two are kept in step by
-- the pgTAP test _uuid7/layout.sql. Locks nothing; VOLATILE because of
-- random(); STRICT: a NULL argument gives NULL.

CREATE OR REPLACE FUNCTION chancy._uuid7(ts timestamptz, seq integer DEFAULT 0)
RETURNS uuid
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
DECLARE
    v_us bigint := floor(extract(epoch FROM _uuid7.ts) * 1000000)::bigint;
BEGIN
    RETURN (lpad(to_hex(v_us / 1000), 12, '0')
            || '7'
            || lpad(to_hex((v_us % 1000) * 4096 / 1000), 3, '0')
            || lpad(to_hex(2147483648 + ((_uuid7.seq::bigint & 1048575) << 10)
                           + floor(random() * 1024)::bigint), 8, '0')
            || lpad(to_hex(floor(random() * 4294967296)::bigint), 8, '0'))::uuid;
END
$fn$;

COMMENT ON FUNCTION chancy._uuid7(timestamptz, integer) IS
    'Time-ordered UUIDv7 for ts; sub-millisecond fraction in rand_a, seq in the top of rand_b.';
