-- chancy.fetch(queue, worker_id, max_jobs, lease_seconds): claim up to
-- max_jobs due jobs of one queue for one worker.
--
-- Due means pending or retrying with scheduled_at <= now(). Jobs are taken
-- highest priority first, then by id (push order), through jobs_fetch_idx,
-- with FOR UPDATE SKIP LOCKED, so concurrent workers never wait on each other
-- and never get the same job. The claim is one UPDATE statement: state
-- running, started_at now, taken_by worker_id, lease_expires_at now +
-- lease_seconds, a new claim_id, attempts + 1 (rows found by primary key:
-- id = ANY (ARRAY(...)) keeps the plan an index lookup for any max_jobs).
-- Returns the claimed rows, highest priority first then by id; no rows when
-- nothing is due.
--
-- Before claiming: a paused queue gives no rows, unless its resume_at has
-- passed, in which case fetch resumes it (and sends queue.changed). A queue
-- with a rate limit allows at most rate_limit starts per window of
-- rate_limit_window seconds (database clock; a window starts at the first
-- fetch after the previous one ended); its counter row in
-- chancy.queue_rate_limits is locked until commit, which serialises the
-- fetches of that queue only.
--
-- Errors: CH001 when the queue does not exist; 22023 when max_jobs < 1,
-- lease_seconds <= 0 or worker_id is empty.
--
-- Jobs scheduled in the future stay in jobs_fetch_idx and each fetch steps
-- over those ranked ahead of the due ones, so a queue holding very many
-- future jobs at high priority makes its fetches slower in proportion.
--
-- FETCH is an SQL keyword, so parameters are written "fetch".param here.

CREATE OR REPLACE FUNCTION chancy.fetch(
    queue text,
    worker_id text,
    max_jobs integer,
    lease_seconds double precision DEFAULT 60
)
RETURNS SETOF chancy.jobs
LANGUAGE plpgsql
VOLATILE
SET search_path = chancy, pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_queue   chancy.queues;
    v_limit   integer := "fetch".max_jobs;
    v_claimed integer;
BEGIN
    IF "fetch".max_jobs IS NULL OR "fetch".max_jobs < 1 THEN
        RAISE EXCEPTION 'fetch: max_jobs must be at least 1, got %', coalesce("fetch".max_jobs::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF "fetch".lease_seconds IS NULL OR NOT "fetch".lease_seconds > 0 OR "fetch".lease_seconds > 315360000 THEN
        RAISE EXCEPTION 'fetch: lease_seconds must be a positive number of seconds up to 315360000 (ten years), got %', coalesce("fetch".lease_seconds::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    IF "fetch".worker_id IS NULL OR "fetch".worker_id = '' THEN
        RAISE EXCEPTION 'fetch: worker_id must be a non-empty text'
            USING ERRCODE = '22023';
    END IF;

    SELECT q.* INTO v_queue FROM chancy.queues AS q WHERE q.name = "fetch".queue;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown queue "%"', "fetch".queue
            USING ERRCODE = 'CH001';
    END IF;

    IF v_queue.state = 'paused' THEN
        IF v_queue.resume_at IS NULL OR v_queue.resume_at > now() THEN
            RETURN;
        END IF;
        UPDATE chancy.queues AS q
           SET state = 'active', resume_at = NULL, updated_at = now()
         WHERE q.name = "fetch".queue AND q.state = 'paused' AND q.resume_at <= now();
        IF FOUND THEN
            PERFORM chancy._notify(jsonb_build_object('t', 'queue.changed', 'q', "fetch".queue));
        END IF;
    END IF;

    IF v_queue.rate_limit IS NOT NULL THEN
        INSERT INTO chancy.queue_rate_limits AS r (queue, window_start, started)
        VALUES ("fetch".queue, now(), 0)
        ON CONFLICT (queue) DO UPDATE
           SET window_start = CASE
                   WHEN r.window_start + make_interval(secs => v_queue.rate_limit_window) <= now()
                   THEN now() ELSE r.window_start END,
               started = CASE
                   WHEN r.window_start + make_interval(secs => v_queue.rate_limit_window) <= now()
                   THEN 0 ELSE r.started END
        RETURNING least("fetch".max_jobs, v_queue.rate_limit - r.started) INTO v_limit;
        IF v_limit <= 0 THEN
            RETURN;
        END IF;
    END IF;

    RETURN QUERY
        WITH picked AS (
            SELECT j.id
              FROM chancy.jobs AS j
             WHERE j.queue = "fetch".queue
               AND j.state IN ('pending', 'retrying')
               AND j.scheduled_at <= now()
             ORDER BY j.priority DESC, j.id
             LIMIT v_limit
               FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE chancy.jobs AS j
               SET state = 'running',
                   started_at = now(),
                   taken_by = "fetch".worker_id,
                   lease_expires_at = now() + make_interval(secs => "fetch".lease_seconds),
                   claim_id = gen_random_uuid(),
                   attempts = j.attempts + 1
             WHERE j.id = ANY (ARRAY(SELECT p.id FROM picked AS p))
            RETURNING j.*
        )
        SELECT c.* FROM claimed AS c ORDER BY c.priority DESC, c.id;

    IF v_queue.rate_limit IS NOT NULL THEN
        GET DIAGNOSTICS v_claimed = ROW_COUNT;
        UPDATE chancy.queue_rate_limits AS r
           SET started = r.started + v_claimed
         WHERE r.queue = "fetch".queue;
    END IF;
END
$fn$;

COMMENT ON FUNCTION chancy.fetch(text, text, integer, double precision) IS
    'Claim up to max_jobs due jobs of a queue (SKIP LOCKED), highest priority then push order.';
