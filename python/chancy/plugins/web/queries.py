"""Read-only SQL the web plugin runs to list what Chancy stores.

Every statement is a constant with bound parameters. Changes never happen
here: they go through the ``chancy.*`` functions (see ``actions.py``).
"""

from __future__ import annotations

from typing import Final

QUEUES: Final = """
SELECT q.name, q.state, q.resume_at, q.concurrency, q.executor,
       q.executor_options, q.polling_interval, q.rate_limit,
       q.rate_limit_window, q.tags, q.retry_settings, q.created_at, q.updated_at
FROM chancy.queues AS q
ORDER BY q.name
"""

QUEUE: Final = """
SELECT q.name, q.state, q.resume_at, q.concurrency, q.executor,
       q.executor_options, q.polling_interval, q.rate_limit,
       q.rate_limit_window, q.tags, q.retry_settings, q.created_at, q.updated_at
FROM chancy.queues AS q
WHERE q.name = %(name)s
"""

# Jobs per queue and state. A full count over chancy.jobs: on a table of
# many millions of rows the overview and queue pages get slow.
QUEUE_COUNTS: Final = """
SELECT j.queue, j.state, count(*) AS n
FROM chancy.jobs AS j
WHERE %(name)s::text IS NULL OR j.queue = %(name)s
GROUP BY j.queue, j.state
"""

# Finished jobs per queue, outcome and minute over the last hour, by the
# database clock; slot 0 is the oldest minute, slot 59 the current one.
THROUGHPUT: Final = """
WITH w AS (SELECT date_trunc('minute', now()) - interval '59 minutes' AS start)
SELECT j.queue, j.state,
       floor(extract(epoch FROM j.completed_at - w.start) / 60)::int AS slot,
       count(*) AS n
FROM chancy.jobs AS j, w
WHERE j.state IN ('succeeded', 'failed', 'cancelled')
  AND j.completed_at >= w.start
GROUP BY j.queue, j.state, slot
"""

NOW: Final = "SELECT now() AS now"

JOB_COLUMNS: Final = """
j.id, j.queue, j.func, j.kwargs, j.priority, j.state, j.attempts,
j.max_attempts, j.scheduled_at, j.created_at, j.started_at, j.completed_at,
j.taken_by, j.lease_expires_at, j.unique_key, j.meta, j.errors, j.limits
"""

JOB: Final = "SELECT" + JOB_COLUMNS + "FROM chancy.jobs AS j WHERE j.id = %(id)s"

# Keyset pagination: ids are time-ordered, newest first; ``before`` is the
# last id of the previous page. Each filter is skipped when its value is NULL.
JOBS: Final = (
    "SELECT"
    + JOB_COLUMNS
    + """
FROM chancy.jobs AS j
WHERE (%(states)s::text[] IS NULL OR j.state = ANY(%(states)s::text[]))
  AND (%(queue)s::text IS NULL OR j.queue = %(queue)s)
  AND (%(func)s::text IS NULL OR j.func ILIKE %(func)s ESCAPE '\\')
  AND (%(since)s::timestamptz IS NULL OR j.created_at >= %(since)s)
  AND (%(until)s::timestamptz IS NULL OR j.created_at < %(until)s)
  AND (%(before)s::uuid IS NULL OR j.id < %(before)s)
ORDER BY j.id DESC
LIMIT %(limit)s
"""
)

FUNCTIONS: Final = """
SELECT DISTINCT j.func FROM chancy.jobs AS j ORDER BY j.func LIMIT %(limit)s
"""

WORKERS: Final = """
SELECT w.worker_id, w.hostname, w.pid, w.tags, w.queues, w.started_at,
       w.last_seen, w.expires_at,
       (l.worker_id IS NOT NULL) AS is_leader
FROM chancy.workers AS w
LEFT JOIN chancy.leader AS l
       ON l.worker_id = w.worker_id AND l.expires_at > now()
WHERE w.expires_at > now()
ORDER BY w.worker_id
"""

LEADER: Final = """
SELECT l.worker_id, l.term, l.elected_at, l.renewed_at, l.expires_at,
       (l.expires_at > now()) AS alive
FROM chancy.leader AS l
"""

# Locks the queue row so a partial update cannot interleave with another.
QUEUE_FOR_UPDATE: Final = """
SELECT q.name, q.state, q.concurrency, q.executor, q.executor_options,
       q.polling_interval, q.rate_limit, q.rate_limit_window, q.tags,
       q.retry_settings
FROM chancy.queues AS q
WHERE q.name = %(name)s
FOR UPDATE
"""

HEALTH: Final = "SELECT 1 AS ok"
