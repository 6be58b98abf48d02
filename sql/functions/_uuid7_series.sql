-- chancy._uuid7_series(ts, n, first_seq): n time-ordered UUIDv7 for time ts,
-- one row (seq, id) for each seq from first_seq to first_seq + n - 1, the ids
-- ascending with seq.
--
-- Layout (RFC 9562): 48 bits of Unix milliseconds of ts, the version nibble
-- 7, then in the 12 rand_a bits the sub-millisecond fraction of ts (in steps
-- of 1/4096 ms), so ids made one after another from clock_timestamp() keep
-- their order; then the variant bits, 20 bits of seq (so the jobs of one
-- push_many keep their input order although they share one time) and 42
-- random bits. Beyond 1,048,575 the seq bits wrap, and order within one time
-- is no longer kept. Set-returning so a bulk push pays the function call
-- once, not once per row. Locks nothing; VOLATILE because of random();
-- STRICT: NULL arguments give no rows.

CREATE OR REPLACE FUNCTION chancy._uuid7_series(ts timestamptz, n integer, first_seq integer DEFAULT 1)
RETURNS TABLE (seq integer, id uuid)
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_us bigint := floor(extract(epoch FROM _uuid7_series.ts) * 1000000)::bigint;
    v_head text;
BEGIN
    v_head := lpad(to_hex(v_us / 1000), 12, '0')
        || '7'
        || lpad(to_hex((v_us % 1000) * 4096 / 1000), 3, '0');
    RETURN QUERY
        SELECT g.seq,
               (v_head
                || lpad(to_hex(2147483648 + ((g.seq::bigint & 1048575) << 10)
                               + floor(random() * 1024)::bigint), 8, '0')
                || lpad(to_hex(floor(random() * 4294967296)::bigint), 8, '0'))::uuid
          FROM generate_series(_uuid7_series.first_seq,
                               _uuid7_series.first_seq + _uuid7_series.n - 1) AS g(seq);
END
$fn$;

COMMENT ON FUNCTION chancy._uuid7_series(timestamptz, integer, integer) IS
    'n time-ordered UUIDv7 for one time, ascending with seq (bulk form of _uuid7).';
