-- Seeds finished (succeeded) jobs in queue bench, as complete leaves them
-- (params: count).
INSERT INTO chancy.jobs (
    id, queue, func, state, attempts, created_at, scheduled_at,
    started_at, completed_at, taken_by
)
SELECT gen_random_uuid(), 'bench', 'bench_jobs.noop', 'succeeded', 1,
       now() - interval '1 hour', now() - interval '1 hour',
       now() - interval '1 hour', now() - interval '59 minutes', 'w-old'
FROM generate_series(1, %(count)s);
