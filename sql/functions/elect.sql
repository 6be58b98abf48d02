-- chancy.elect(worker_id, ttl_seconds): try to lead, or stay leader.
--
-- The lease lives in the one-row table chancy.leader. The current holder
-- renews it (expires_at = now + ttl_seconds, same term); any worker takes it
-- when it is missing or expired, and then term grows by one. So term grows
-- at every change of leader and is never reused, also when a worker takes
-- back a lease it let expire or resigned; leader-only writes pass their
-- term to be fenced (see _check_term). A live lease of another worker is
-- left alone. Sends {"t":"leader.changed","w":worker,"term":N} when the
-- term changed. Returns one row: whether worker_id leads, the live term,
-- the leader's id and its lease expiry (the other worker's when it does not
-- lead). Locks the leader row until commit. Errors: 22023 for an empty
-- worker_id or a non-positive ttl_seconds.

CREATE OR REPLACE FUNCTION chancy.elect(worker_id text, ttl_seconds double precision)
RETURNS TABLE (is_leader boolean, term bigint, leader_id text, expires_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_before bigint;
    v_row    chancy.leader;
BEGIN
    IF elect.worker_id IS NULL OR elect.worker_id = '' THEN
        RAISE EXCEPTION 'elect: worker_id must be a non-empty text'
            USING ERRCODE = '22023';
    END IF;
    IF elect.ttl_seconds IS NULL OR NOT elect.ttl_seconds > 0 OR elect.ttl_seconds > 315360000 THEN
        RAISE EXCEPTION 'elect: ttl_seconds must be a positive number of seconds up to 315360000 (ten years), got %', coalesce(elect.ttl_seconds::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;

    SELECT l.term INTO v_before FROM chancy.leader AS l WHERE l.singleton FOR UPDATE;

    INSERT INTO chancy.leader AS l (singleton, worker_id, term, elected_at, renewed_at, expires_at)
    VALUES (true, elect.worker_id, 1, now(), now(), now() + make_interval(secs => elect.ttl_seconds))
    ON CONFLICT (singleton) DO UPDATE
       SET worker_id = EXCLUDED.worker_id,
           term = CASE WHEN l.worker_id = EXCLUDED.worker_id AND l.expires_at > now()
                       THEN l.term ELSE l.term + 1 END,
           elected_at = CASE WHEN l.worker_id = EXCLUDED.worker_id AND l.expires_at > now()
                             THEN l.elected_at ELSE now() END,
           renewed_at = now(),
           expires_at = EXCLUDED.expires_at
     WHERE l.worker_id = EXCLUDED.worker_id
        OR l.expires_at <= now()
    RETURNING l.* INTO v_row;

    IF v_row.singleton IS NULL THEN
        SELECT l.* INTO v_row FROM chancy.leader AS l WHERE l.singleton;
        RETURN QUERY SELECT false, v_row.term, v_row.worker_id, v_row.expires_at;
        RETURN;
    END IF;

    IF v_row.term IS DISTINCT FROM v_before THEN
        PERFORM chancy._notify(jsonb_build_object('t', 'leader.changed', 'w', v_row.worker_id, 'term', v_row.term));
    END IF;
    RETURN QUERY SELECT true, v_row.term, v_row.worker_id, v_row.expires_at;
END
$fn$;

COMMENT ON FUNCTION chancy.elect(text, double precision) IS
    'Take or renew the leadership lease; term grows at every change of leader.';
