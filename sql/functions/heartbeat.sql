-- chancy.heartbeat(worker_id, ttl_seconds, lease_seconds, ...): a worker
-- says it is alive.
--
-- Upserts the worker's row (last_seen now, expires_at now + ttl_seconds,
-- queues, tags, hostname, pid), extends to now + lease_seconds the lease of
-- every job it runs (state running, taken_by = worker_id), deletes the rows
-- of workers expired for over an hour, and returns (id, claim_id) of every
-- job the worker still validly holds; the worker cancels any local execution
-- whose (id, claim_id) is not in that set (cancelled, recovered or deleted
-- jobs). No rows when it holds none. Locks its worker row and its running
-- jobs (in id order). Errors: 22023 for an empty worker_id or a
-- non-positive ttl_seconds or lease_seconds.

CREATE OR REPLACE FUNCTION chancy.heartbeat(
    worker_id text,
    ttl_seconds double precision,
    lease_seconds double precision,
    queues text[] DEFAULT '{}',
    tags text[] DEFAULT '{}',
    hostname text DEFAULT '',
    pid integer DEFAULT NULL
)
RETURNS TABLE (id uuid, claim_id uuid)
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
    IF heartbeat.worker_id IS NULL OR heartbeat.worker_id = '' THEN
        RAISE EXCEPTION 'heartbeat: worker_id must be a non-empty text'
            USING ERRCODE = '22023';
    END IF;
    IF heartbeat.ttl_seconds IS NULL OR NOT heartbeat.ttl_seconds > 0 OR heartbeat.ttl_seconds > 315360000 THEN
        RAISE EXCEPTION 'heartbeat: ttl_seconds must be a positive number of seconds up to 315360000 (ten years), got %',
            coalesce(heartbeat.ttl_seconds::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF heartbeat.lease_seconds IS NULL OR NOT heartbeat.lease_seconds > 0 OR heartbeat.lease_seconds > 315360000 THEN
        RAISE EXCEPTION 'heartbeat: lease_seconds must be a positive number of seconds up to 315360000 (ten years), got %',
            coalesce(heartbeat.lease_seconds::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;

    INSERT INTO chancy.workers AS w (worker_id, hostname, pid, tags, queues, started_at, last_seen, expires_at)
    VALUES (heartbeat.worker_id, coalesce(heartbeat.hostname, ''), heartbeat.pid,
            coalesce(heartbeat.tags, '{}'), coalesce(heartbeat.queues, '{}'),
            now(), now(), now() + make_interval(secs => heartbeat.ttl_seconds))
    ON CONFLICT (worker_id) DO UPDATE
       SET hostname = EXCLUDED.hostname,
           pid = EXCLUDED.pid,
           tags = EXCLUDED.tags,
           queues = EXCLUDED.queues,
           last_seen = EXCLUDED.last_seen,
           expires_at = EXCLUDED.expires_at;

    DELETE FROM chancy.workers AS w
     WHERE w.expires_at < now() - interval '1 hour';

    RETURN QUERY
        WITH held AS (
            SELECT j.id
              FROM chancy.jobs AS j
             WHERE j.taken_by = heartbeat.worker_id
               AND j.state = 'running'
             ORDER BY j.id
               FOR UPDATE OF j
        )
        UPDATE chancy.jobs AS j
           SET lease_expires_at = now() + make_interval(secs => heartbeat.lease_seconds)
          FROM held AS h
         WHERE j.id = h.id
           AND j.state = 'running'
           AND j.taken_by = heartbeat.worker_id
        RETURNING j.id, j.claim_id;
END
$fn$;

COMMENT ON FUNCTION chancy.heartbeat(text, double precision, double precision, text[], text[], text, integer) IS
    'Record a worker as alive, extend its leases, return the (id, claim_id) of the jobs it holds.';
