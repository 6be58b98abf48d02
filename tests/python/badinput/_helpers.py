"""Helpers of the bad-input tests: a fingerprint of everything stored."""

from __future__ import annotations

from typing import Any

import psycopg

_FINGERPRINT = """
SELECT (SELECT count(*) FROM chancy.jobs),
       (SELECT md5(coalesce(string_agg(j::text, '|' ORDER BY j.id), ''))
          FROM chancy.jobs AS j),
       (SELECT md5(coalesce(string_agg(q::text, '|' ORDER BY q.name), ''))
          FROM chancy.queues AS q),
       (SELECT md5(coalesce(string_agg(s::text, '|' ORDER BY s.name), ''))
          FROM chancy.cron_schedules AS s)
"""


def fingerprint(dsn: str) -> tuple[Any, ...]:
    """Row counts and content hashes of jobs, queues and cron schedules."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(_FINGERPRINT).fetchone()
    assert row is not None
    return tuple(row)


SEED = """
SELECT chancy.push(func => 'seed.job', kwargs => '{"keep": "me"}', priority => 5)
  FROM generate_series(1, 3)
"""


def seed(dsn: str) -> tuple[Any, ...]:
    """Store a few jobs and a queue, and return the fingerprint."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SEED)
        conn.execute("SELECT chancy.declare_queue(name => 'kept', concurrency => 2)")
    return fingerprint(dsn)
