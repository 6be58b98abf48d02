-- chancy.resign(worker_id): give up the leadership lease now.
--
-- If worker_id holds a live lease, its expiry is set to now() so any worker
-- can take it at once; the row (and its term) stays, so the next leader gets
-- a higher term. Sends {"t":"leader.changed","w":null,"term":N}. Returns true
-- when it resigned, false when worker_id did not hold a live lease. Locks the
-- leader row until commit. STRICT: a NULL worker_id returns NULL.

CREATE OR REPLACE FUNCTION chancy.resign(worker_id text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
STRICT
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_term bigint;
BEGIN
    UPDATE chancy.leader AS l
       SET expires_at = now(),
           renewed_at = now()
     WHERE l.singleton
       AND l.worker_id = resign.worker_id
       AND l.expires_at > now()
    RETURNING l.term INTO v_term;

    IF v_term IS NULL THEN
        RETURN false;
    END IF;
    PERFORM chancy._notify(jsonb_build_object('t', 'leader.changed', 'w', NULL, 'term', v_term));
    RETURN true;
END
$fn$;

COMMENT ON FUNCTION chancy.resign(text) IS
    'Expire this worker''s leadership lease now (the term is kept); true if it led.';
