-- pgbench: one chancy.push per transaction, the SQL twin of insert.sql.
SELECT chancy.push('bench_jobs.noop', queue => 'bench');
