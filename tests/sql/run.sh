#!/bin/sh
# Run Chancy's pgTAP suite against a throwaway database.
#
# Server: $CHANCY_TEST_DSN if set (an admin DSN); else 127.0.0.1:5432 as
# user postgres if pg_isready answers; else the admin DSN printed by
# tests/pg_server.py (which finds or starts a server and leaves it up). Creates chancy_sqltest_<random>, installs the schema with
# sql/install.sh, creates pgtap, runs pg_prove on every tests/sql/**/*.sql
# and drops the database on exit. Exits with pg_prove's status.
#
# Before pg_prove it checks the installer itself, on databases of its own:
# installing twice changes nothing, two installs started at once both
# succeed, a schema newer than the files is refused, and an upgrade from the
# first migration gives the same catalogue as a fresh install (compared
# with pg_dump --schema-only).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
dsn_admin=""
db=""
dbs=""
work=""

cleanup() {
    status=$?
    if [ -n "$dsn_admin" ]; then
        for name in $dbs; do
            psql --no-psqlrc --quiet --dbname="$dsn_admin" \
                --command="DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
        done
    fi
    [ -n "$work" ] && rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${CHANCY_TEST_DSN:-}" ]; then
    dsn_admin=$CHANCY_TEST_DSN
elif pg_isready --quiet --host=127.0.0.1 --port=5432 2>/dev/null; then
    dsn_admin="postgresql://postgres@127.0.0.1:5432/postgres"
else
    dsn_admin=$("$root/.venv/bin/python" "$root/tests/pg_server.py") || {
        echo "tests/sql/run.sh: no PostgreSQL server available" >&2
        exit 1
    }
fi

suffix=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d)

# new_db NAME: create database NAME and print its DSN, the admin DSN with
# the database name replaced. Runs in a command substitution (a subshell),
# so the caller adds NAME to $dbs, the list dropped on exit.
new_db() {
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname="$dsn_admin" \
        --command="CREATE DATABASE \"$1\"" >/dev/null
    python3 - "$dsn_admin" "$1" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit
dsn, db = sys.argv[1], sys.argv[2]
if "://" in dsn:
    print(urlunsplit(urlsplit(dsn)._replace(path="/" + db)))
else:
    words = [w for w in dsn.split() if not w.startswith("dbname=")]
    print(" ".join(words + ["dbname=" + db]))
PY
}

# catalogue DSN: the schema chancy as pg_dump sees it, without the random
# \restrict key newer pg_dump versions write.
catalogue() {
    pg_dump --schema-only --schema=chancy --dbname="$1" | grep -v '^\\\(un\)\{0,1\}restrict '
}

check() {
    if [ "$2" = ok ]; then
        echo "install check: $1 ... ok"
    else
        echo "install check: $1 ... FAILED" >&2
        exit 1
    fi
}

db="chancy_sqltest_$suffix"
dbs="$db ${db}_race ${db}_upgrade"
dsn=$(new_db "$db")
sh "$root/sql/install.sh" "$dsn"

# Installing twice changes nothing.
catalogue "$dsn" >"$work/once.sql"
sh "$root/sql/install.sh" "$dsn"
catalogue "$dsn" >"$work/twice.sql"
cmp -s "$work/once.sql" "$work/twice.sql" && r=ok || r=no
check "a second install changes nothing" "$r"

# Two installs started at the same moment both succeed, each migration once.
dsn_race=$(new_db "${db}_race")
sh "$root/sql/install.sh" "$dsn_race" & race1=$!
sh "$root/sql/install.sh" "$dsn_race" & race2=$!
r=ok
wait "$race1" || r=no
wait "$race2" || r=no
check "two concurrent installs both succeed" "$r"
applied=$(psql --no-psqlrc --quiet --tuples-only --no-align --dbname="$dsn_race" \
    --command="SELECT count(*) = count(DISTINCT m.version) AND count(*) = $(ls "$root"/sql/migrations/[0-9][0-9][0-9][0-9]_*.sql | wc -l) FROM chancy.migrations AS m")
[ "$applied" = t ] && r=ok || r=no
check "after concurrent installs each migration is recorded once" "$r"

# A database newer than these files is refused and left as it is.
psql --no-psqlrc --quiet --dbname="$dsn_race" \
    --command="INSERT INTO chancy.migrations (version, name) VALUES (9999, '9999_future')" >/dev/null
catalogue "$dsn_race" >"$work/newer.sql"
sh "$root/sql/install.sh" "$dsn_race" 2>/dev/null && r=no || r=ok
catalogue "$dsn_race" | cmp -s "$work/newer.sql" - || r=no
check "an install over a newer schema is refused and changes nothing" "$r"

# An upgrade from the first migration gives the catalogue of a fresh install.
dsn_up=$(new_db "${db}_upgrade")
# (A database at migration 1: the installer run with only 0001 and no
# function files, since today's functions may need later tables.)
mkdir -p "$work/first/migrations" "$work/first/functions"
cp "$root/sql/bootstrap.sql" "$root/sql/grants.sql" "$root/sql/install.sh" "$work/first/"
cp "$root"/sql/migrations/0001_*.sql "$work/first/migrations/"
sh "$work/first/install.sh" "$dsn_up"
sh "$root/sql/install.sh" "$dsn_up"
catalogue "$dsn_up" >"$work/upgraded.sql"
cmp -s "$work/once.sql" "$work/upgraded.sql" && r=ok || r=no
[ "$r" = ok ] || diff "$work/once.sql" "$work/upgraded.sql" | head -40 >&2
check "an upgrade from 0001 gives the fresh catalogue" "$r"
psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname="$dsn" \
    --command="CREATE EXTENSION IF NOT EXISTS pgtap" >/dev/null

set +e
# shellcheck disable=SC2046 # the test paths hold no spaces
pg_prove --dbname="$dsn" --ext .sql $(find "$root/tests/sql" -name '*.sql' | sort)
rc=$?
set -e
exit "$rc"
