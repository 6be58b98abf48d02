-- Seeds pending no-op jobs in queue bench straight into the table
-- (params: count). Ids are random; fetch orders by priority then id.
INSERT INTO chancy.jobs (id, queue, func)
SELECT gen_random_uuid(), 'bench', 'bench_jobs.noop'
FROM generate_series(1, %(count)s);
