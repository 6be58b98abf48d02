-- pgbench: one plain INSERT per transaction into the jobs-shaped table.
INSERT INTO public.bench_jobs_shape (id, queue, func, kwargs)
VALUES (gen_random_uuid(), 'bench', 'bench_jobs.noop', '{}');
