"""`make demo` runs its whole workload against a real server and reports it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[3]


def test_the_demo_runs_its_workload_and_prints_a_summary(admin_dsn: str) -> None:
    database = f"chancy_demo_test_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": admin_dsn,
        "CHANCY_DEMO_DATABASE": database,
        "CHANCY_DEMO_WEB_PORT": "0",
    }
    try:
        result = subprocess.run(
            [sys.executable, "-m", "chancy.demo"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database)
                )
            )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "== summary ==" in output, output
    assert "failed=1" in output and "cancelled=1" in output, output
    assert "push-to-start latency" in output, output
    assert "cron: 'demo-tick' fired" in output, output
    assert "Chancy dashboard: http://127.0.0.1:" in output, output
