-- Seeds (count) finished (succeeded) jobs in queue bench, as complete
-- leaves them, an hour old; ids ascend in insertion order (era 0).
INSERT INTO chancy.jobs (
    id, queue, func, state, attempts, created_at, scheduled_at,
    started_at, completed_at, taken_by
)
SELECT format('00000000-0000-7000-8000-%%s', lpad(to_hex(g), 12, '0'))::uuid,
       'bench', 'bench_jobs.noop', 'succeeded', 1,
       now() - interval '1 hour', now() - interval '1 hour',
       now() - interval '1 hour', now() - interval '59 minutes', 'w-old'
FROM generate_series(1, %(count)s) AS g;
