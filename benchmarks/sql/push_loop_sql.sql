-- %(count)s chancy.push calls in one statement (one transaction).
SELECT count(chancy.push('bench_jobs.noop', queue => 'bench'))
FROM generate_series(1, %(count)s);
