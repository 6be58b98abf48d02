#!/bin/sh
# Run Chancy's pgTAP suite against a throwaway database.
#
# Server: $CHANCY_TEST_DSN if set (an admin DSN); else 127.0.0.1:5432 as
# user postgres if pg_isready answers; else a cluster started by
# tests/pg_server.py (which prints an admin DSN and keeps the server up
# while it runs). Creates chancy_sqltest_<random>, installs the schema with
# sql/install.sh, creates pgtap, runs pg_prove on every tests/sql/**/*.sql
# and drops the database on exit. Exits with pg_prove's status.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
server_pid=""
dsn_admin=""
db=""

cleanup() {
    status=$?
    if [ -n "$db" ] && [ -n "$dsn_admin" ]; then
        psql --no-psqlrc --quiet --dbname="$dsn_admin" \
            --command="DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [ -n "${server_out:-}" ] && rm -f "$server_out"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${CHANCY_TEST_DSN:-}" ]; then
    dsn_admin=$CHANCY_TEST_DSN
elif pg_isready --quiet --host=127.0.0.1 --port=5432 2>/dev/null; then
    dsn_admin="postgresql://postgres@127.0.0.1:5432/postgres"
else
    server_out=$(mktemp)
    "$root/.venv/bin/python" "$root/tests/pg_server.py" >"$server_out" &
    server_pid=$!
    tries=0
    while [ -z "$dsn_admin" ]; do
        dsn_admin=$(grep -m1 '^postgres' "$server_out" || true)
        tries=$((tries + 1))
        if [ "$tries" -gt 120 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "tests/sql/run.sh: no PostgreSQL server available" >&2
            exit 1
        fi
        [ -n "$dsn_admin" ] || sleep 1
    done
fi

db="chancy_sqltest_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname="$dsn_admin" \
    --command="CREATE DATABASE \"$db\"" >/dev/null

# The test database's DSN: the admin DSN with its database name replaced.
dsn=$(python3 - "$dsn_admin" "$db" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit
dsn, db = sys.argv[1], sys.argv[2]
if "://" in dsn:
    parts = urlsplit(dsn)
    print(urlunsplit(parts._replace(path="/" + db)))
else:
    words = [w for w in dsn.split() if not w.startswith("dbname=")]
    print(" ".join(words + ["dbname=" + db]))
PY
)

sh "$root/sql/install.sh" "$dsn"
psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname="$dsn" \
    --command="CREATE EXTENSION IF NOT EXISTS pgtap" >/dev/null

set +e
find "$root/tests/sql" -name '*.sql' | sort | xargs pg_prove --dbname="$dsn" --ext .sql
rc=$?
set -e
exit "$rc"
