-- chancy._check_term(term): fence for leader-only writes.
--
-- Does nothing when term is NULL (the caller did not ask for fencing).
-- Otherwise the leader row must carry that term and a lease that has not
-- expired; the row is locked FOR SHARE until the caller's transaction ends,
-- so no election can change the leader while the fenced write runs.
-- Raises CH003 (NotLeaderError) naming the given and the live term.

CREATE OR REPLACE FUNCTION chancy._check_term(term bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
DECLARE
    v_term bigint;
    v_live boolean;
BEGIN
    IF _check_term.term IS NULL THEN
        RETURN;
    END IF;

    SELECT l.term, l.expires_at > now()
      INTO v_term, v_live
      FROM chancy.leader AS l
     WHERE l.singleton
       FOR SHARE;

    IF v_term IS DISTINCT FROM _check_term.term OR NOT coalesce(v_live, false) THEN
        RAISE EXCEPTION 'term % is not the live leader''s term (live term: %)',
            _check_term.term,
            CASE WHEN v_live THEN v_term::text ELSE 'none' END
            USING ERRCODE = 'CH003';
    END IF;
END
$fn$;

COMMENT ON FUNCTION chancy._check_term(bigint) IS
    'Raise CH003 unless term is NULL or the live leader''s term; locks the leader row FOR SHARE.';
