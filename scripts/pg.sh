#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests and the demo (TOOLCHAIN.md §6).
#
#   scripts/pg.sh up DIR [--port N] [--fsync on|off] [--db NAME] [--owner-pid PID]
#       initdb + start a private server whose data and unix socket live under DIR; prints the
#       DATABASE_URL (unix socket only, no TCP port) on stdout. fsync is off by default: the data
#       is throwaway. As root, the server runs as the `postgres` user (initdb refuses root).
#       --owner-pid: a watcher removes the server (as `down`) once process PID has exited, so a
#       crashed test binary leaves nothing running.
#   scripts/pg.sh stop DIR      stop the server, keep the data (for restart tests)
#   scripts/pg.sh start DIR     start a stopped server again with the same settings
#   scripts/pg.sh url DIR       print the DATABASE_URL again
#   scripts/pg.sh down DIR      stop the server (if running) and delete DIR
#
# Several servers can run at once: each has its own socket directory, so the port number only
# names the socket file and never collides.
set -euo pipefail

self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

usage() { sed -n '2,12p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1; dir=$2; shift 2

port=55432; fsync=off; db=broker; owner_pid=
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port=$2; shift 2 ;;
        --fsync) fsync=$2; shift 2 ;;
        --db) db=$2; shift 2 ;;
        --owner-pid) owner_pid=$2; shift 2 ;;
        *) echo "pg.sh: unknown option $1" >&2; usage ;;
    esac
done
case "$fsync" in on|off) ;; *) echo "pg.sh: --fsync must be on or off" >&2; exit 2 ;; esac

pgbin=${PG_BIN:-}
if [ -z "$pgbin" ]; then
    for v in 17 16 15 14 13; do
        if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then pgbin=/usr/lib/postgresql/$v/bin; break; fi
    done
fi
if [ -z "$pgbin" ]; then
    if command -v initdb >/dev/null 2>&1; then pgbin=$(dirname "$(command -v initdb)");
    else echo "pg.sh: PostgreSQL server binaries not found (install postgresql)" >&2; exit 1; fi
fi

run=()
if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi

settings_file() { echo "$dir/pg.settings"; }

url() {
    # shellcheck disable=SC1090
    . "$(settings_file)"
    echo "postgresql:///${PG_DB}?host=${dir}/sock&port=${PG_PORT}&user=postgres"
}

start() {
    # shellcheck disable=SC1090
    . "$(settings_file)"
    local extra="-c synchronous_commit=on"
    if [ "$PG_FSYNC" = off ]; then
        extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    "${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-k $dir/sock -p $PG_PORT -c listen_addresses='' -c max_connections=200 $extra" \
        start >/dev/null
}

stop() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        "${run[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
    fi
}

case "$cmd" in
    up)
        dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
        stop 2>/dev/null || true
        rm -rf "${dir:?}/data" "$dir/sock"
        mkdir -p "$dir/data" "$dir/sock"
        printf 'PG_PORT=%q\nPG_FSYNC=%q\nPG_DB=%q\n' "$port" "$fsync" "$db" >"$(settings_file)"
        if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
        "${run[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
            --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        start || { cat "$dir/server.log" >&2; exit 1; }
        "${run[@]}" "$pgbin/createdb" -h "$dir/sock" -p "$port" -U postgres "$db"
        if [ -n "$owner_pid" ]; then
            # Detached from our stdout so that a caller reading the URL is not kept waiting.
            setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; [ -d "$3" ] && "$2" down "$3"' \
                pg-watch "$owner_pid" "$self" "$dir" </dev/null >/dev/null 2>&1 &
        fi
        url
        ;;
    start) dir=$(cd "$dir" && pwd); start ;;
    stop) dir=$(cd "$dir" && pwd); stop ;;
    url) dir=$(cd "$dir" && pwd); url ;;
    down)
        if [ -d "$dir" ]; then
            dir=$(cd "$dir" && pwd)
            stop || true
            rm -rf "${dir:?}"
        fi
        ;;
    *) usage ;;
esac
