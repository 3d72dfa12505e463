#!/usr/bin/env bash
# A PostgreSQL 15 primary and a streaming replica of it, for the tests of
# `serve --read-db` (tests/cluster.rs): Debian's own binaries, run as the
# postgres user, in a directory of their own, on two ports of loopback.
#
#   scripts/pg-replica.sh start DIR PORT   primary on PORT, replica (pg_basebackup -R) on PORT+1
#   scripts/pg-replica.sh stop DIR         stops both (fast), leaves DIR to its owner to remove
#   scripts/pg-replica.sh stop-replica DIR stops the replica only
#
# The clusters trust loopback (they hold test data only) and skip fsync.
set -euo pipefail
cmd=${1:?start, stop or stop-replica}
dir=${2:?the directory to hold the clusters}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $cmd in
start)
  port=${3:?the port of the primary}
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_pg "$bin/initdb" -D "$dir/primary" -A trust -U postgres >"$dir/initdb.log" 2>&1
  cat >>"$dir/primary/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
CONF
  as_pg "$bin/pg_ctl" -D "$dir/primary" -l "$dir/primary.log" -w start >/dev/null
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir/replica" -R -X stream
  echo "port = $((port + 1))" >>"$dir/replica/postgresql.conf"
  as_pg "$bin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w start >/dev/null
  ;;
stop)
  for c in replica primary; do
    [ -f "$dir/$c/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/$c" -m fast -w stop >/dev/null || true
  done
  ;;
stop-replica)
  as_pg "$bin/pg_ctl" -D "$dir/replica" -m fast -w stop >/dev/null
  ;;
*)
  echo "usage: $0 start DIR PORT | stop DIR | stop-replica DIR" >&2
  exit 2
  ;;
esac
