#!/bin/sh
# Install or upgrade Chancy's schema with psql alone.
#
# usage: sh sql/install.sh postgresql://user@host/db   (or DATABASE_URL set)
#
# The procedure (the Python migrator, chancy.migrate, follows the very same
# steps in the same order, under the same lock):
#   1. one psql session takes pg_advisory_lock(hashtext('chancy.install'));
#      concurrent installs wait for it, then find nothing left to do;
#   2. sql/bootstrap.sql creates schema chancy and the ledger chancy.migrations;
#      if the ledger holds a version newer than the newest file here, the
#      install stops with an error (no downgrade);
#   3. each sql/migrations/NNNN_slug.sql whose version is not in the ledger,
#      in version order, runs in its own transaction together with
#      INSERT INTO chancy.migrations (version, name) VALUES (NNNN, 'NNNN_slug');
#   4. every sql/functions/*.sql is (re)loaded in one transaction with
#      check_function_bodies off, so the order of the files does not matter;
#   5. sql/grants.sql runs last.
# psql runs with ON_ERROR_STOP, so the first error aborts the install with a
# non-zero status; a failed migration leaves no trace (its transaction rolls
# back) and the next install tries it again.
set -eu

dsn="${1:-${DATABASE_URL:-}}"
if [ -z "$dsn" ]; then
    printf '%s\n' "usage: sh sql/install.sh postgresql://user@host/db" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)

# psql quoting for a file path given to \i: single quotes, doubled inside.
quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}

# One line of the psql script (printf, as echo may interpret backslashes).
line() {
    printf '%s\n' "$1"
}

script() {
    line "SET client_min_messages = warning;"
    line "SELECT pg_advisory_lock(hashtext('chancy.install'));"
    line "\\i $(quote "$here/bootstrap.sql")"

    # Refuse to downgrade: a database that has migrations these files do
    # not know would get older functions loaded over a newer schema.
    latest=0
    for file in "$here"/migrations/[0-9][0-9][0-9][0-9]_*.sql; do
        [ -e "$file" ] || continue
        latest=$(basename "$file" | sed 's/_.*//; s/^0*//')
    done
    line "DO \$check\$ BEGIN IF (SELECT max(m.version) FROM chancy.migrations AS m) > ${latest:-0} THEN RAISE EXCEPTION 'this database is at Chancy schema version % but these files only know up to ${latest:-0}; install the newer Chancy instead', (SELECT max(m.version) FROM chancy.migrations AS m); END IF; END \$check\$;"

    for file in "$here"/migrations/[0-9][0-9][0-9][0-9]_*.sql; do
        [ -e "$file" ] || continue
        name=$(basename "$file" .sql)
        version=$(printf '%s' "$name" | sed 's/_.*//; s/^0*//')
        [ -n "$version" ] || { echo "bad migration file name: $file" >&2; exit 2; }
        line "SELECT NOT EXISTS (SELECT 1 FROM chancy.migrations WHERE version = $version) AS chancy_pending \\gset"
        line "\\if :chancy_pending"
        line "BEGIN;"
        line "\\i $(quote "$file")"
        line "INSERT INTO chancy.migrations (version, name) VALUES ($version, '$name');"
        line "COMMIT;"
        line "\\endif"
    done

    line "BEGIN;"
    line "SET LOCAL check_function_bodies = off;"
    for file in "$here"/functions/*.sql; do
        [ -e "$file" ] || continue
        line "\\i $(quote "$file")"
    done
    line "COMMIT;"

    line "\\i $(quote "$here/grants.sql")"
    line "SELECT pg_advisory_unlock(hashtext('chancy.install'));"
}

script | psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --dbname="$dsn" --file=- >/dev/null

psql --no-psqlrc --quiet --tuples-only --no-align --dbname="$dsn" \
    --command="SELECT 'chancy: schema at version ' || max(m.version) FROM chancy.migrations AS m"
