-- The single-push ceiling's table: shaped like chancy.jobs (same columns,
-- defaults, constraints and indexes) plus the same foreign key to the queues,
-- so one plain INSERT here costs what the storage side of one push costs.
DROP TABLE IF EXISTS public.bench_jobs_shape;
CREATE TABLE public.bench_jobs_shape (LIKE chancy.jobs INCLUDING ALL);
ALTER TABLE public.bench_jobs_shape
    ADD CONSTRAINT bench_jobs_shape_queue_fkey FOREIGN KEY (queue)
    REFERENCES chancy.queues (name) ON DELETE CASCADE ON UPDATE CASCADE;
