#!/bin/sh
# Entrypoint of the offline-built PostgreSQL image. It honours the official postgres image's
# contract, the part rehearse and most tools rely on:
#   POSTGRES_PASSWORD          superuser password; required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER              superuser name (default postgres)
#   POSTGRES_DB                database created on first start (default: the user's name)
#   POSTGRES_HOST_AUTH_METHOD  auth for TCP connections (default scram-sha-256)
#   POSTGRES_INITDB_ARGS       extra initdb arguments
#   PGDATA                     data folder (default /var/lib/postgresql/data)
# Arguments starting with '-' (e.g. `-c name=value`) are passed to postgres, which runs as PID 1.
set -eu

# Set by build.sh to the privilege-dropping tool the rootfs has.
PRIVDROP=setpriv

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi

as_postgres() {
    case "$PRIVDROP" in
        setpriv) exec setpriv --reuid=postgres --regid=postgres --init-groups "$@" ;;
        runuser) exec runuser -u postgres -- "$@" ;;
        # su needs one command line; our arguments are simple words.
        *) exec su -s /bin/sh postgres -c "$*" ;;
    esac
}

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /run/postgresql
    chown postgres:postgres "$PGDATA" /run/postgresql
    chmod 0700 "$PGDATA"
    chmod 2775 /run/postgresql
    as_postgres "$0" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    user="${POSTGRES_USER:-postgres}"
    db="${POSTGRES_DB:-$user}"
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set;" >&2
        echo "set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without a password" >&2
        exit 1
    fi
    pwfile="$(mktemp)"
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    pwarg=""
    [ -n "${POSTGRES_PASSWORD:-}" ] && pwarg="--pwfile=$pwfile"
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the official image.
    initdb --username="$user" $pwarg --auth-local=trust --auth-host="$auth" \
        --encoding=UTF8 ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    if [ "$db" != postgres ]; then
        # Single-user mode: no temporary server, no socket, no race with early clients.
        echo "CREATE DATABASE \"$db\"" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
