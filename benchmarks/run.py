"""Chancy's benchmarks, measured against what Postgres itself does on this machine.

``make bench`` runs this file with the repository's venv. It creates a
throwaway database ``chancy_bench_<random>`` on the server that
``tests/pg_server.py`` names (else ``CHANCY_TEST_DSN``, else
127.0.0.1:5432), installs Chancy there with ``sh sql/install.sh``, measures
every figure in the same run beside the baseline measured in that run, prints
one table, writes ``benchmarks/results/latest.json`` and drops the database.

A part that cannot run is reported with the reason and the others still run;
the exit status is 1 if any part failed.

Usage: ``python benchmarks/run.py [--quick] [--output PATH] [--parts a,b]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import conninfo, sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SQL_DIR = HERE / "sql"
BENCH_QUEUE = "bench"
NOOP = "bench_jobs.noop"
PARTS = ("enqueue", "drain", "ceiling", "scale")
REQUIRED_KEYS = (
    "drain_jobs_per_s",
    "enqueue_single_jobs_per_s",
    "enqueue_single_ceiling_jobs_per_s",
    "enqueue_bulk_jobs_per_s",
    "enqueue_sql_bulk_jobs_per_s",
    "latency_p50_ms",
    "latency_p95_ms",
    "finish_latency_p50_ms",
    "ceiling_jobs_per_s",
    "scale_ratio",
    "worker_peak_rss_mb",
)

#: At most this long for the single Python pushes (a slow disk flush).
SINGLE_PUSH_CAP_S = 15.0

sys.path.insert(0, str(ROOT / "python"))


@dataclass(frozen=True)
class Sizes:
    """How much work each part does."""

    drain_jobs: int = 20_000
    memory_checkpoint: int = 5_000
    single_pushes: int = 5_000
    bulk_jobs: int = 20_000
    latency_jobs: int = 100
    pgbench_seconds: int = 5
    ceiling_clients: tuple[int, ...] = (1, 2, 4)
    ceiling_batches: tuple[int, ...] = (1, 100)
    scale_rows: int = 1_000_000
    worker_concurrency: int = 500
    drain_timeout_s: float = 120.0
    rounds: int = 3


QUICK = Sizes(
    drain_jobs=400,
    memory_checkpoint=100,
    single_pushes=50,
    bulk_jobs=400,
    latency_jobs=5,
    pgbench_seconds=1,
    ceiling_clients=(1, 2),
    ceiling_batches=(1, 100),
    scale_rows=5_000,
    worker_concurrency=50,
    drain_timeout_s=60.0,
    rounds=1,
)


@dataclass
class Report:
    """Every figure of one run, and why a part could not run."""

    figures: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def part(self, name: str, fn: Callable[[], None]) -> None:
        """Run one part; a failure is recorded and the next part still runs."""
        started = time.monotonic()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            message = f"{type(exc).__name__}: {exc}".strip()
            self.failures[name] = message
            print(f"[bench] {name} FAILED: {message}", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
        took = time.monotonic() - started
        print(f"[bench] {name} took {took:.1f}s", file=sys.stderr, flush=True)


# -- the database -----------------------------------------------------------


def admin_dsn() -> str:
    """The admin DSN: what tests/pg_server.py prints, else the env, else local."""
    helper = ROOT / "tests" / "pg_server.py"
    if helper.exists():
        out = subprocess.run(
            [sys.executable, str(helper)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
        if out.returncode == 0 and lines:
            return lines[-1]
        print(
            f"[bench] tests/pg_server.py gave no DSN (rc={out.returncode}): "
            f"{out.stderr.strip()[-300:]}; falling back",
            file=sys.stderr,
        )
    return os.environ.get(
        "CHANCY_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def with_dbname(dsn: str, dbname: str) -> str:
    """The same server and user, another database, as a key=value string."""
    params = conninfo.conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})


def connect(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True)


def scalar(conn: psycopg.Connection[Any], query: Any, params: Any = None) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def read_sql(name: str) -> sql.SQL:
    return sql.SQL((SQL_DIR / name).read_text())  # type: ignore[arg-type]


def reset_jobs(conn: psycopg.Connection[Any]) -> None:
    """Empty chancy.jobs so each measurement starts from the same table."""
    conn.execute("TRUNCATE chancy.jobs")


def seed_pending(conn: psycopg.Connection[Any], count: int) -> None:
    conn.execute(read_sql("seed_pending.sql"), {"count": count})
    conn.execute("ANALYZE chancy.jobs")


def count_state(conn: psycopg.Connection[Any], state: str) -> int:
    return int(
        scalar(
            conn,
            "SELECT count(*) FROM chancy.jobs WHERE queue = %s AND state = %s",
            (BENCH_QUEUE, state),
        )
    )


# -- pgbench ----------------------------------------------------------------


@dataclass
class PgbenchResult:
    transactions: int
    tps: float
    failed: int

    @property
    def seconds(self) -> float:
        return self.transactions / self.tps if self.tps else 0.0


def pgbench(
    dsn: str,
    script: str,
    *,
    clients: int,
    seconds: int,
    variables: dict[str, int] | None = None,
) -> PgbenchResult:
    """Run pgbench with one script file; raise with its output if it fails."""
    exe = shutil.which("pgbench")
    if exe is None:
        raise RuntimeError("pgbench is not on PATH (apt-get install postgresql-client)")
    threads = max(1, min(clients, os.cpu_count() or 1))
    cmd = [
        exe, "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads),
        "-T", str(seconds), "-f", str(SQL_DIR / script),
    ]
    for key, value in (variables or {}).items():
        cmd += ["-D", f"{key}={value}"]
    cmd.append(dsn)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    text = out.stdout + out.stderr
    done = re.search(r"number of transactions actually processed: (\d+)", text)
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    if out.returncode != 0 or done is None or tps is None:
        tail = "\n".join(text.strip().splitlines()[-6:])
        raise RuntimeError(f"pgbench {script} -c {clients} failed: {tail}")
    return PgbenchResult(
        transactions=int(done.group(1)),
        tps=float(tps.group(1)),
        failed=int(failed.group(1)) if failed else 0,
    )


def claim_complete_rate(
    dsn: str, conn: psycopg.Connection[Any], *, clients: int, batch: int,
    seconds: int, seed: int,
) -> tuple[float, bool]:
    """Jobs/s that pgbench claims and completes; True if the queue ran dry."""
    before = count_state(conn, "succeeded")
    result = pgbench(
        dsn, "claim_complete.sql", clients=clients, seconds=seconds,
        variables={"n": batch},
    )
    done = count_state(conn, "succeeded") - before
    dry = done >= seed
    return done / result.seconds if result.seconds else 0.0, dry


# -- the worker subprocess --------------------------------------------------


class WorkerProcess:
    """One worker process (benchmarks/worker_main.py) and its memory samples."""

    def __init__(self, dsn: str, concurrency: int) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(HERE), str(ROOT / "python"), env.get("PYTHONPATH", "")]
        )
        cmd = [sys.executable, str(HERE / "worker_main.py"), dsn, BENCH_QUEUE,
               str(concurrency)]
        profile = os.environ.get("CHANCY_BENCH_PYSPY")
        if profile:
            spy = str(Path(sys.executable).parent / "py-spy")
            cmd = [spy, "record", "-r", "200", "-f", "raw", "-o", profile, "--", *cmd]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.peak_rss = 0
        self._ps: psutil.Process | None = None

    def target(self) -> psutil.Process | None:
        """The Python worker (py-spy, when profiling, is its parent)."""
        try:
            me = psutil.Process(self.proc.pid)
            if os.environ.get("CHANCY_BENCH_PYSPY"):
                kids = me.children()
                return kids[0] if kids else None
            return me
        except psutil.Error:
            return None

    def rss(self) -> int:
        """Current RSS in bytes (0 if gone); also tracks the peak."""
        if self._ps is None:
            self._ps = self.target()
        if self._ps is None:
            return 0
        try:
            value = int(self._ps.memory_info().rss)
        except psutil.Error:
            return 0
        self.peak_rss = max(self.peak_rss, value)
        return value

    def cpu_seconds(self) -> float:
        """User plus system CPU the worker has used so far (0 if gone)."""
        if self._ps is None:
            self._ps = self.target()
        if self._ps is None:
            return 0.0
        try:
            times = self._ps.cpu_times()
        except psutil.Error:
            return 0.0
        return float(times.user + times.system)

    def hwm(self) -> int:
        """The kernel's peak RSS (VmHWM) in bytes, 0 if unavailable."""
        if self._ps is None:
            return 0
        try:
            status = Path(f"/proc/{self._ps.pid}/status").read_text()
        except OSError:
            return 0
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) * 1024 if found else 0

    def check_alive(self) -> None:
        code = self.proc.poll()
        if code is not None:
            _, err = self.proc.communicate(timeout=5)
            raise RuntimeError(
                f"worker process exited with {code}: {err.strip()[-1500:]}"
            )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT if os.environ.get(
                "CHANCY_BENCH_PYSPY") else signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# -- parts --------------------------------------------------------------------


class Bench:
    """The parts of one run; each writes its figures into the report."""

    def __init__(self, dsn: str, sizes: Sizes, report: Report) -> None:
        self.dsn = dsn
        self.sizes = sizes
        self.report = report
        self.conn = connect(dsn)
        self.fig = report.figures

    def declare(self) -> None:
        self.conn.execute(
            "SELECT chancy.declare_queue(%s, executor => 'async')", (BENCH_QUEUE,)
        )

    # enqueue ---------------------------------------------------------------

    def enqueue_single(self) -> None:
        """Single pushes beside one plain INSERT per transaction, interleaved.

        Rounds alternate pgbench INSERT, pgbench ``chancy.push`` and Python
        ``chancy.push`` so that a noisy neighbour hits all three alike; each
        figure is the median of its rounds.
        """
        sizes = self.sizes
        self.conn.execute(read_sql("ceiling_table.sql"))
        reset_jobs(self.conn)
        per_round = max(1, sizes.pgbench_seconds // 2)
        budget = SINGLE_PUSH_CAP_S / sizes.rounds
        want = max(1, sizes.single_pushes // sizes.rounds)
        insert, sql_push, py_push, pushed = [], [], [], 0
        for _ in range(sizes.rounds):
            insert.append(pgbench(self.dsn, "insert.sql", clients=1,
                                  seconds=per_round).tps)
            sql_push.append(pgbench(self.dsn, "push_single.sql", clients=1,
                                    seconds=per_round).tps)
            rate, count = asyncio.run(python_push_single(self.dsn, want, budget))
            py_push.append(rate)
            pushed += count
        self.fig["enqueue_single_ceiling_jobs_per_s"] = statistics.median(insert)
        self.fig["enqueue_single_sql_jobs_per_s"] = statistics.median(sql_push)
        self.fig["enqueue_single_jobs_per_s"] = statistics.median(py_push)
        self.fig["enqueue_single_count"] = pushed
        self.fig["enqueue_single_rounds"] = {
            "insert": insert, "sql_push": sql_push, "python_push": py_push,
        }
        self.conn.execute("DROP TABLE public.bench_jobs_shape")

    def enqueue_bulk(self) -> None:
        """push_many from SQL and Python beside one INSERT ... SELECT, interleaved."""
        sizes = self.sizes
        n = sizes.bulk_jobs
        self.conn.execute(read_sql("ceiling_table.sql"))
        insert, sql_many, py_many = [], [], []
        for _ in range(sizes.rounds):
            self.conn.execute("TRUNCATE public.bench_jobs_shape")
            started = time.perf_counter()
            self.conn.execute(read_sql("insert_bulk.sql"), {"count": n})
            insert.append(n / (time.perf_counter() - started))

            reset_jobs(self.conn)
            started = time.perf_counter()
            got = scalar(self.conn, read_sql("push_many_sql.sql"), {"count": n})
            sql_many.append(n / (time.perf_counter() - started))
            if got != n:
                raise RuntimeError(f"chancy.push_many returned {got} rows for {n} jobs")

            reset_jobs(self.conn)
            py_many.append(asyncio.run(python_push_many(self.dsn, n)))
            if count_state(self.conn, "pending") != n:
                raise RuntimeError(f"Python push_many did not leave {n} pending jobs")
        self.fig["enqueue_bulk_ceiling_jobs_per_s"] = statistics.median(insert)
        self.fig["enqueue_sql_bulk_jobs_per_s"] = statistics.median(sql_many)
        self.fig["enqueue_bulk_jobs_per_s"] = statistics.median(py_many)
        self.fig["enqueue_bulk_rounds"] = {
            "insert_select": insert, "sql_push_many": sql_many,
            "python_push_many": py_many,
        }
        self.conn.execute("DROP TABLE public.bench_jobs_shape")

        reset_jobs(self.conn)
        n = sizes.single_pushes
        started = time.perf_counter()
        got = scalar(self.conn, read_sql("push_loop_sql.sql"), {"count": n})
        took = time.perf_counter() - started
        if got != n:
            raise RuntimeError(f"chancy.push made {got} jobs of {n}")
        self.fig["enqueue_sql_loop_jobs_per_s"] = n / took
        reset_jobs(self.conn)

    # drain, memory and latency --------------------------------------------------

    def drain_and_latency(self) -> None:
        sizes = self.sizes
        reset_jobs(self.conn)
        self.conn.execute(
            "SELECT chancy.declare_queue(%s, executor => 'async', concurrency => %s,"
            " polling_interval => 1)",
            (BENCH_QUEUE, sizes.worker_concurrency),
        )
        got = scalar(self.conn, read_sql("push_many_sql.sql"),
                     {"count": sizes.drain_jobs})
        if got != sizes.drain_jobs:
            raise RuntimeError(f"seeding the drain made {got} jobs")
        self.conn.execute("VACUUM ANALYZE chancy.jobs")

        worker = WorkerProcess(self.dsn, sizes.worker_concurrency)
        try:
            self._drain(worker)
            self.report.part("latency", lambda: self._latency(worker))
        finally:
            worker.stop()

    def _drain(self, worker: WorkerProcess) -> None:
        sizes = self.sizes
        deadline = time.monotonic() + sizes.drain_timeout_s
        rss_at_checkpoint = 0
        last_count = -1.0
        done = 0
        cpu_mark: tuple[int, float] | None = None
        while True:
            worker.check_alive()
            worker.rss()
            now = time.monotonic()
            if now - last_count >= 0.1:
                last_count = now
                done = count_state(self.conn, "succeeded")
                if cpu_mark is None and done >= sizes.drain_jobs // 10:
                    cpu_mark = (done, worker.cpu_seconds())
                if done >= sizes.memory_checkpoint and not rss_at_checkpoint:
                    rss_at_checkpoint = worker.rss()
                if done >= sizes.drain_jobs:
                    break
            if now > deadline:
                raise RuntimeError(
                    f"drain timed out: {done} of {sizes.drain_jobs} succeeded "
                    f"after {sizes.drain_timeout_s:.0f}s"
                )
            time.sleep(0.02)
        wall = time.monotonic() - worker.started
        rss_end = worker.rss()
        if cpu_mark is not None and done > cpu_mark[0]:
            # The worker's own CPU per job (user + system), from a tenth of
            # the drain to its end: what the Python side costs, whatever
            # the machine's load does to the wall clock.
            self.fig["drain_worker_cpu_us_per_job"] = (
                (worker.cpu_seconds() - cpu_mark[1]) / (done - cpu_mark[0]) * 1e6
            )

        row = self.conn.execute(
            "SELECT count(*), extract(epoch FROM max(completed_at) - min(started_at)),"
            " count(*) FILTER (WHERE state <> 'succeeded')"
            " FROM chancy.jobs WHERE queue = %s",
            (BENCH_QUEUE,),
        ).fetchone()
        assert row is not None
        total, span, unfinished = int(row[0]), float(row[1] or 0), int(row[2])
        if unfinished:
            raise RuntimeError(f"{unfinished} jobs did not succeed")
        self.fig["drain_jobs_per_s"] = total / span if span else None
        self.fig["drain_span_s"] = span
        self.fig["drain_wall_jobs_per_s"] = total / wall
        mb = 1024 * 1024
        peak = max(worker.peak_rss, worker.hwm())
        self.fig["worker_peak_rss_mb"] = peak / mb
        self.fig["worker_rss_at_checkpoint_mb"] = rss_at_checkpoint / mb
        self.fig["worker_rss_at_end_mb"] = rss_end / mb
        self.fig["worker_rss_checkpoint_jobs"] = sizes.memory_checkpoint

    def _latency(self, worker: WorkerProcess) -> None:
        worker.check_alive()
        ids, calls = asyncio.run(python_latency(self.dsn, self.sizes.latency_jobs))
        self.fig["latency_push_call_p50_ms"] = percentile(sorted(calls), 50)
        rows = self.conn.execute(
            "SELECT extract(epoch FROM started_at - created_at) * 1000,"
            " extract(epoch FROM completed_at - created_at) * 1000, state"
            " FROM chancy.jobs WHERE id = ANY(%s)",
            (ids,),
        ).fetchall()
        bad = [r for r in rows if r[2] != "succeeded"]
        if len(rows) != len(ids) or bad:
            raise RuntimeError(f"{len(bad)} latency jobs did not succeed")
        start = sorted(float(r[0]) for r in rows)
        finish = sorted(float(r[1]) for r in rows)
        self.fig["latency_p50_ms"] = percentile(start, 50)
        self.fig["latency_p95_ms"] = percentile(start, 95)
        self.fig["finish_latency_p50_ms"] = percentile(finish, 50)
        self.fig["finish_latency_p95_ms"] = percentile(finish, 95)

    # ceiling and scale ----------------------------------------------------------

    def ceiling(self) -> None:
        sizes = self.sizes
        self.conn.execute(
            "SELECT chancy.declare_queue(%s, executor => 'async')", (BENCH_QUEUE,)
        )
        rates: dict[str, float] = {}
        for batch in sizes.ceiling_batches:
            # Seed what the best rate so far at this batch size needs, with room:
            # seeding costs time, and running dry is reported as a lower bound.
            best = 1_500.0 if batch == 1 else 12_000.0
            for clients in sizes.ceiling_clients:
                seed = int(best * 2 * sizes.pgbench_seconds) + batch * clients * 4
                reset_jobs(self.conn)
                seed_pending(self.conn, seed)
                rate, dry = claim_complete_rate(
                    self.dsn, self.conn, clients=clients, batch=batch,
                    seconds=sizes.pgbench_seconds, seed=seed,
                )
                key = f"{clients}c_x{batch}"
                rates[key] = rate
                best = max(best, rate)
                if dry:
                    self.report.notes.append(
                        f"ceiling {key}: ran out of {seed} seeded jobs, a lower bound"
                    )
        self.fig["ceiling"] = rates
        best = max(rates, key=lambda k: rates[k])
        self.fig["ceiling_jobs_per_s"] = rates[best]
        self.fig["ceiling_best_config"] = best

    def scale(self) -> None:
        sizes = self.sizes
        self.conn.execute(
            "SELECT chancy.declare_queue(%s, executor => 'async')", (BENCH_QUEUE,)
        )
        clients, batch = 2, 100
        results: dict[str, float] = {}
        for label, finished in (("empty", 0), ("full", sizes.scale_rows)):
            reset_jobs(self.conn)
            if finished:
                started = time.perf_counter()
                self.conn.execute(read_sql("seed_finished.sql"), {"count": finished})
                self.fig["scale_seed_s"] = time.perf_counter() - started
            seed = int(max(self.fig.get("ceiling_jobs_per_s") or 12_000, 12_000)
                       * sizes.pgbench_seconds * 2)
            seed_pending(self.conn, seed)
            started = time.perf_counter()
            self.conn.execute("VACUUM ANALYZE chancy.jobs")
            self.fig[f"scale_vacuum_{label}_s"] = time.perf_counter() - started
            if finished:
                self.fig["scale_fetch_plan"] = fetch_plan(self.conn)
            rate, dry = claim_complete_rate(
                self.dsn, self.conn, clients=clients, batch=batch,
                seconds=sizes.pgbench_seconds, seed=seed,
            )
            if dry:
                self.report.notes.append(f"scale {label}: ran out of seeded jobs")
            results[label] = rate
        self.fig["scale_empty_jobs_per_s"] = results["empty"]
        self.fig["scale_full_jobs_per_s"] = results["full"]
        self.fig["scale_finished_rows"] = sizes.scale_rows
        self.fig["scale_ratio"] = results["full"] / results["empty"]
        plan = self.fig["scale_fetch_plan"]
        self.fig["scale_fetch_uses_index"] = "jobs_fetch_idx" in plan
        reset_jobs(self.conn)


def fetch_plan(conn: psycopg.Connection[Any]) -> str:
    """The plans of the statements inside chancy.fetch, via auto_explain."""
    notices: list[str] = []

    def keep(diag: psycopg.errors.Diagnostic) -> None:
        notices.append(diag.message_primary or "")

    conn.add_notice_handler(keep)
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("LOAD 'auto_explain'")
            for setting, value in (
                ("auto_explain.log_min_duration", "0"),
                ("auto_explain.log_analyze", "on"),
                ("auto_explain.log_nested_statements", "on"),
                ("auto_explain.log_level", "notice"),
                ("auto_explain.log_timing", "on"),
            ):
                conn.execute("SELECT set_config(%s, %s, true)", (setting, value))
            conn.execute(
                "SELECT count(*) FROM chancy.fetch(%s, 'w-explain', 100, 60)",
                (BENCH_QUEUE,),
            )
    finally:
        conn.remove_notice_handler(keep)
    return "\n\n".join(n for n in notices if "FROM chancy.jobs" in n)


# -- the Python client --------------------------------------------------------


async def python_push_single(
    dsn: str, count: int, budget_s: float
) -> tuple[float, int]:
    """Jobs/s of ``chancy.push`` one at a time, each its own transaction.

    Stops after ``count`` pushes or ``budget_s`` seconds, so a machine whose
    disk flushes slowly still finishes the run; returns the rate and count.
    """
    from chancy import Chancy, Job

    async with Chancy(dsn, no_default_plugins=True) as chancy:
        job = Job(func=NOOP, queue=BENCH_QUEUE)
        await chancy.push(job)  # warm the pool; not counted
        started = time.perf_counter()
        deadline = started + budget_s
        pushed = 0
        while pushed < count and time.perf_counter() < deadline:
            await chancy.push(job)
            pushed += 1
        return pushed / (time.perf_counter() - started), pushed + 1


async def python_push_many(dsn: str, count: int) -> float:
    """Jobs/s of one ``chancy.push_many`` call (the Job objects made beforehand)."""
    from chancy import Chancy, Job

    async with Chancy(dsn, no_default_plugins=True) as chancy:
        jobs = [Job(func=NOOP, queue=BENCH_QUEUE) for _ in range(count)]
        started = time.perf_counter()
        refs = await collect(chancy.push_many(jobs))
        took = time.perf_counter() - started
        if len(refs) != count:
            raise RuntimeError(f"push_many returned {len(refs)} refs for {count} jobs")
    return count / took


async def python_latency(dsn: str, count: int) -> tuple[list[str], list[float]]:
    """Push jobs one at a time to the idle worker; each waits for the last.

    Returns the job ids and each push call's duration in ms (client clock).
    """
    from chancy import Chancy, Job

    async with Chancy(dsn, no_default_plugins=True) as chancy:
        ids: list[str] = []
        calls: list[float] = []
        job = Job(func=NOOP, queue=BENCH_QUEUE)
        await chancy.push(job.with_queue("default"))  # warm the pool; not counted
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as c:
            for _ in range(count):
                started = time.perf_counter()
                ref = await chancy.push(job)
                calls.append((time.perf_counter() - started) * 1000)
                ident = str(getattr(ref, "identifier", ref))
                ids.append(ident)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    cur = await c.execute(
                        "SELECT state FROM chancy.jobs WHERE id = %s", (ident,)
                    )
                    row = await cur.fetchone()
                    if row and row[0] in ("succeeded", "failed"):
                        break
                    await asyncio.sleep(0.005)
                await asyncio.sleep(0.02)
    return ids, calls


async def collect(result: Any) -> list[Any]:
    """push_many may return a list, an awaitable or an async iterator of batches."""
    if hasattr(result, "__aiter__"):
        out: list[Any] = []
        async for item in result:
            out.extend(item if isinstance(item, list) else [item])
        return out
    if asyncio.iscoroutine(result) or hasattr(result, "__await__"):
        result = await result
    return list(result)


# -- output -------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


def machine(conn: psycopg.Connection[Any] | None) -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    if conn is not None:
        info["postgres"] = scalar(conn, "SHOW server_version")
        for name in ("synchronous_commit", "fsync", "shared_buffers", "wal_level",
                     "full_page_writes", "max_connections", "jit"):
            info[name] = scalar(conn, sql.SQL("SHOW {}").format(sql.Identifier(name)))
    return info


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and unit in ("ms", "MB", ""):
        return f"{value:,.2f}{(' ' + unit) if unit else ''}"
    return f"{value:,.0f}{(' ' + unit) if unit else ''}"


def ratio(a: Any, b: Any) -> str:
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def verdict(ok: bool | None) -> str:
    return {True: "yes", False: "NO", None: "n/a"}[ok]


def table(report: Report) -> str:
    f = report.figures
    get = f.get
    rows: list[tuple[str, str, str, str, str, str]] = []

    def add(name: str, value: str, base: str, r: str, target: str,
            ok: bool | None) -> None:
        rows.append((name, value, base, r, target, verdict(ok)))

    def ge(a: Any, b: Any) -> bool | None:
        return None if a is None or b is None else a >= b

    def le(a: Any, b: Any) -> bool | None:
        return None if a is None or b is None else a <= b

    ceiling = get("ceiling_jobs_per_s")
    cbest = f"best ceiling {fmt(ceiling, 'j/s')} ({get('ceiling_best_config', '?')})"
    drain = get("drain_jobs_per_s")
    add("drain, 1 worker process (DB span)", fmt(drain, "j/s"), cbest,
        ratio(drain, ceiling), ">=10,000 and >=0.50",
        None if drain is None or ceiling is None
        else drain >= 10_000 and drain >= 0.5 * ceiling)
    add("drain, wall from worker spawn", fmt(get("drain_wall_jobs_per_s"), "j/s"),
        cbest, ratio(get("drain_wall_jobs_per_s"), ceiling), "", None)
    add("drain, worker CPU per job (user+sys)",
        fmt(get("drain_worker_cpu_us_per_job"), "us"), "", "", "", None)
    ins = get("enqueue_single_ceiling_jobs_per_s")
    base = f"pgbench 1 INSERT/txn {fmt(ins, 'j/s')}"
    single = get("enqueue_single_jobs_per_s")
    add(f"enqueue single, Python push ({get('enqueue_single_count', 0):,})",
        fmt(single, "j/s"), base, ratio(single, ins),
        ">=0.90 of INSERT", None if single is None or not ins else single >= 0.9 * ins)
    sqls = get("enqueue_single_sql_jobs_per_s")
    add("enqueue single, SQL push (pgbench)", fmt(sqls, "j/s"), base,
        ratio(sqls, ins), "", None)
    add("enqueue, SQL push x N in 1 statement", fmt(get("enqueue_sql_loop_jobs_per_s"),
        "j/s"), "", "", "", None)
    bulk = get("enqueue_bulk_jobs_per_s")
    bins = get("enqueue_bulk_ceiling_jobs_per_s")
    bbase = f"1 INSERT..SELECT {fmt(bins, 'j/s')}"
    add("enqueue bulk, Python push_many", fmt(bulk, "j/s"), bbase, ratio(bulk, bins),
        ">=50,000", ge(bulk, 50_000))
    sbulk = get("enqueue_sql_bulk_jobs_per_s")
    add("enqueue bulk, SQL push_many", fmt(sbulk, "j/s"), bbase, ratio(sbulk, bins),
        ">=50,000", ge(sbulk, 50_000))
    add("latency push->start p50", fmt(get("latency_p50_ms"), "ms"), "", "", "<=3 ms",
        le(get("latency_p50_ms"), 3))
    add("  (the push call itself, client clock, p50)",
        fmt(get("latency_push_call_p50_ms"), "ms"), "", "", "", None)
    add("latency push->start p95", fmt(get("latency_p95_ms"), "ms"), "", "", "", None)
    add("latency push->succeeded p50", fmt(get("finish_latency_p50_ms"), "ms"), "",
        "", "<=10 ms", le(get("finish_latency_p50_ms"), 10))
    for key, rate in (get("ceiling") or {}).items():
        add(f"ceiling pgbench fetch+complete {key}", fmt(rate, "j/s"), "", "", "", None)
    empty, full = get("scale_empty_jobs_per_s"), get("scale_full_jobs_per_s")
    add(f"scale: 2c x100 with {get('scale_finished_rows', 0):,} finished",
        fmt(full, "j/s"), f"empty table {fmt(empty, 'j/s')}", ratio(full, empty),
        ">=0.80", ge(get("scale_ratio"), 0.8))
    add("scale: fetch plan uses jobs_fetch_idx",
        str(get("scale_fetch_uses_index", "n/a")), "", "", "True",
        get("scale_fetch_uses_index"))
    peak = get("worker_peak_rss_mb")
    at_cp, at_end = get("worker_rss_at_checkpoint_mb"), get("worker_rss_at_end_mb")
    add("worker peak RSS while draining", fmt(peak, "MB"), "", "", "flat", None)
    flat = None if not at_cp or at_end is None else at_end <= at_cp * 1.10 + 5
    add(f"worker RSS after {get('worker_rss_checkpoint_jobs', 0):,} -> all jobs",
        f"{fmt(at_cp, 'MB')} -> {fmt(at_end, 'MB')}", "", ratio(at_end, at_cp),
        "<=1.10x + 5 MB", flat)

    head = ("figure", "value", "baseline (same run)", "ratio", "target", "met")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(6)]
    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))

    out = [line(head), line(tuple("-" * w for w in widths))]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes: checks the harness runs, not speed")
    parser.add_argument("--output", type=Path,
                        default=HERE / "results" / "latest.json")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    sizes = QUICK if args.quick else Sizes()
    report = Report()
    started = time.monotonic()

    admin = admin_dsn()
    dbname = f"chancy_bench_{secrets.token_hex(4)}"
    dsn = with_dbname(admin, dbname)
    with connect(admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    print(f"[bench] database {dbname}", file=sys.stderr)
    try:
        install = subprocess.run(["sh", str(ROOT / "sql" / "install.sh"), dsn],
                                 capture_output=True, text=True, cwd=ROOT, timeout=300)
        if install.returncode != 0:
            raise SystemExit(
                f"sh sql/install.sh failed ({install.returncode}):"
                f" {(install.stdout + install.stderr).strip()[-2000:]}"
            )
        bench = Bench(dsn, sizes, report)
        report.figures["machine"] = machine(bench.conn)
        report.part("declare the bench queue", bench.declare)
        if "enqueue" in parts:
            report.part("enqueue single (beside pgbench INSERT)", bench.enqueue_single)
            report.part("enqueue bulk (beside INSERT ... SELECT)", bench.enqueue_bulk)
        if "drain" in parts:
            report.part("drain and memory", bench.drain_and_latency)
        if "ceiling" in parts:
            report.part("ceiling (pgbench fetch+complete)", bench.ceiling)
        if "scale" in parts:
            report.part("scale", bench.scale)
        bench.conn.close()
    finally:
        if not args.keep_db:
            with connect(admin) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(dbname)))

    figures = report.figures
    for key in REQUIRED_KEYS:
        figures.setdefault(key, None)
    figures["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    figures["quick"] = args.quick
    figures["parts"] = parts
    figures["failures"] = report.failures
    figures["notes"] = report.notes
    figures["sizes"] = asdict(sizes)
    figures["total_s"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")

    m = figures.get("machine", {})
    print(f"Chancy benchmarks, {figures['date']}: {m.get('nproc')} cores"
          f" {m.get('cpu')}, PostgreSQL {m.get('postgres')}, synchronous_commit="
          f"{m.get('synchronous_commit')}, fsync={m.get('fsync')}"
          + ("  [QUICK sizes]" if args.quick else ""))
    print(table(report))
    plan = figures.get("scale_fetch_plan")
    if plan:
        print("\nfetch plan with the finished rows in the table (auto_explain):")
        print(plan)
    for note in report.notes:
        print(f"note: {note}")
    for name, why in report.failures.items():
        print(f"FAILED {name}: {why}")
    print(f"\nwritten to {args.output} in {figures['total_s']}s")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
