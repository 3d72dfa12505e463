#!/usr/bin/env bash
# The national deployment on one machine, under load and faults:
# a PostgreSQL primary and its streaming replica (scripts/pg-replica.sh),
# N `safeground serve` behind HAProxy (sessions and throttling in the
# database, reads from the replica), and scripts/load.py's clients reading
# tiles, summaries and hazard pages while operators submit reports and IM
# officers approve them, some twice at once.
#
#   bash scripts/cluster-test.sh [--bin PATH] [--servers N] [--clients N] [--seconds S]
#                                [--no-faults] [--gpkg] [--out DIR]
#                                [--register GPKG] [--mix day|tiles]
#
# With faults (the default, two servers or more): a rolling restart of one
# server (SIGTERM: not ready, then stopped gracefully, then started again),
# and later another killed outright (SIGKILL) and started again. --gpkg serves
# one server on a GeoPackage instead (the benchmark's comparison).
# --register serves a copy of an existing GeoPackage register (migrated into
# the primary on PostgreSQL) instead of building the demo (scale 30);
# --mix tiles sends only map tiles (scripts/load.py), with no approval to check.
#
# Fails unless: no 5xx and no transport error, except within seconds of the
# SIGKILL (requests the killed server held); no approval answered twice;
# every approval answered 200 is in the register, once; `audit verify`
# passes. Writes DIR/load.json (rates, p50/p99 by kind) and DIR/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/debug/safeground
servers=3
clients=200
seconds=60
faults=1
gpkg=0
out=target/cluster
register=""
mix=day
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --servers) servers="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --no-faults) faults=0; shift ;;
    --gpkg) gpkg=1; servers=1; shift ;;
    --out) out="$2"; shift 2 ;;
    --register) register=$(realpath "$2"); shift 2 ;;
    --mix) mix="$2"; shift 2 ;;
    *) echo "usage: scripts/cluster-test.sh [--bin PATH] [--servers N] [--clients N] [--seconds S] [--no-faults] [--gpkg] [--out DIR] [--register GPKG] [--mix day|tiles]" >&2; exit 2 ;;
  esac
done
[ "$servers" -ge 2 ] || faults=0
bin=$(realpath "$bin")
[ -x "$bin" ] || { echo "no safeground binary at $bin (cargo build first)" >&2; exit 1; }
if ! command -v haproxy >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  else
    echo "scripts/cluster-test.sh needs HAProxy (Debian package haproxy)" >&2; exit 1
  fi
fi
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  exec 2>/dev/null  # not the shell's word on each server it kills
  [ -n "${load:-}" ] && kill "$load" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -f "$work/haproxy.pid" ] && kill "$(cat "$work/haproxy.pid")" 2>/dev/null || true
  [ -d "$work/pg" ] && bash scripts/pg-replica.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
password="cluster test password"
say() { echo "[$(date +%T)] $*"; }

# --- the register -----------------------------------------------------------
if [ "$gpkg" = 1 ]; then
  primary="$work/register.gpkg"
  read_db=()
else
  pgport=$(free_port)
  while ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',$pgport+1))" 2>/dev/null; do pgport=$(free_port); done
  say "PostgreSQL primary on $pgport, replica on $((pgport + 1))"
  bash scripts/pg-replica.sh start "$work/pg" "$pgport"
  psql "postgres://postgres@127.0.0.1:$pgport/postgres" -qAtXc "CREATE DATABASE register"
  primary="postgres://postgres@127.0.0.1:$pgport/register"
  read_db=(--read-db "postgres://postgres@127.0.0.1:$((pgport + 1))/register")
fi
if [ -z "$register" ]; then
  say "building the demo register (scale 30) in $primary"
  SAFEGROUND_DB= "$bin" --db "$primary" demo --scale 30 --no-serve >/dev/null
elif [ "$gpkg" = 1 ]; then
  say "copying $register"
  cp "$register" "$primary"
else
  say "migrating $register into $primary"
  SAFEGROUND_DB= "$bin" --db "$register" migrate --to "$primary" >/dev/null
fi
add_user() { # NAME ROLE [ORG]
  local extra=()
  [ -n "${3:-}" ] && extra=(--organisation "$3")
  [ "$1" != admin ] && extra+=(--user admin)
  echo "$password" | SAFEGROUND_PASSWORD="$password" SAFEGROUND_DB= SAFEGROUND_TOKEN= \
    "$bin" --db "$primary" user add "$1" --role "$2" --password-stdin "${extra[@]}" >/dev/null
}
add_user admin administrator
add_user imo im_officer
add_user operator operator AEST
add_user viewer viewer
if [ "$gpkg" = 0 ]; then
  # The replica replays everything written so far (after a migration of the
  # national register, gigabytes) before the servers start.
  replica="postgres://postgres@127.0.0.1:$((pgport + 1))/register"
  target=$(psql "$primary" -qAtXc "SELECT pg_current_wal_insert_lsn()")
  caught_up=0
  for _ in $(seq 3000); do
    [ "$(psql "$replica" -qAtXc "SELECT pg_last_wal_replay_lsn() >= '$target'" 2>/dev/null || true)" = t ] \
      && { caught_up=1; break; }
    sleep 0.2
  done
  [ "$caught_up" = 1 ] || { echo "the replica did not replay up to $target in 10 minutes" >&2; exit 1; }
fi

# --- the servers and the balancer --------------------------------------------
hport=$(free_port)
ports=()
mports=()
for i in $(seq "$servers"); do ports+=("$(free_port)"); mports+=("$(free_port)"); done
start_server() { # INDEX
  local i=$1 port=${ports[$1]}
  SAFEGROUND_DB= "$bin" --db "$primary" serve --addr "127.0.0.1:$port" "${read_db[@]}" \
    --public-host "127.0.0.1:$hport" --trusted-proxy 127.0.0.1 --shutdown-grace 2 --log-format json \
    --metrics-addr "127.0.0.1:${mports[$1]}" \
    >>"$out/server$i.out" 2>>"$out/server$i.log" &
  server_pid[$i]=$!
  pids+=("$!")
  for _ in $(seq 300); do
    curl -fsS "http://127.0.0.1:$port/api/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server $i did not become ready" >&2; exit 1
}
declare -A server_pid
rm -f "$out"/server*.log "$out"/server*.out
for i in "${!ports[@]}"; do start_server "$i"; done
{
  cat <<CONF
global
  maxconn 4096
  pidfile $work/haproxy.pid
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 10s
  retries 3
  option redispatch
  retry-on conn-failure empty-response response-timeout
frontend web
  bind 127.0.0.1:$hport
  option forwardfor
  http-request set-header X-Request-Id %[uuid()]
  default_backend servers
backend servers
  balance roundrobin
  # A change is never sent twice: one cut off may have been made.
  http-request disable-l7-retry unless METH_GET
  option httpchk GET /api/health/ready
  http-check expect status 200
  # A readiness check opens a connection to the register: give it time
  # under load, or every server looks down at once.
  timeout check 3s
  default-server inter 500ms fall 2 rise 2
CONF
  for i in "${!ports[@]}"; do echo "  server s$i 127.0.0.1:${ports[$i]} check"; done
} >"$work/haproxy.cfg"
haproxy -c -q -f "$work/haproxy.cfg"
haproxy -D -f "$work/haproxy.cfg"
say "$servers server(s) behind HAProxy at 127.0.0.1:$hport"
sleep 1

# --- the load, and the faults -------------------------------------------------
python3 scripts/load.py --url "http://127.0.0.1:$hport" --clients "$clients" --seconds "$seconds" \
  --password "$password" --mix "$mix" --out "$out/load.json" &
load=$!
t0=$(date +%s.%N)
kill_at=""
if [ "$faults" = 1 ]; then
  sleep "$(python3 -c "print($seconds * 0.3)")"
  say "rolling restart of server 1: SIGTERM (not ready for 2 s, then stops gracefully)"
  kill -TERM "${server_pid[1]}"
  wait "${server_pid[1]}" || { echo "server 1 did not stop cleanly" >&2; exit 1; }
  start_server 1
  say "server 1 is back"
  sleep "$(python3 -c "print($seconds * 0.3)")"
  victim=$((servers - 1))
  [ "$victim" = 1 ] && victim=0
  kill_at=$(python3 -c "import time; print(round(time.time() - $t0, 2))")
  say "server $victim killed (SIGKILL) at ${kill_at}s"
  kill -9 "${server_pid[$victim]}"
  wait "${server_pid[$victim]}" 2>/dev/null || true
  sleep 2
  start_server "$victim"
  say "server $victim is back"
fi
wait "$load" || { load=""; echo "the load generator failed" >&2; exit 1; }
load=""
# What each server (as it stands now) says of its reads.
metrics=$(for m in "${mports[@]}"; do curl -fsS "http://127.0.0.1:$m/metrics" || true; done)
replica_reads=$(echo "$metrics" | awk '/^safeground_replica_reads_total/ {s += $2} END {print s + 0}')

# --- the checks --------------------------------------------------------------
approved=$(python3 -c "import json; print(','.join(\"'\" + r + \"'\" for r in json.load(open('$out/load.json'))['approved']) or \"''\")")
if [ "$gpkg" = 1 ]; then
  in_register=$(python3 -c "import sqlite3; print(sqlite3.connect('$primary').execute(\"SELECT count(*) FROM reports WHERE state = 'APPROVED' AND id IN ($approved)\").fetchone()[0])")
  twice=$(python3 -c "import sqlite3; print(sqlite3.connect('$primary').execute(\"SELECT count(*) FROM (SELECT report_id FROM events WHERE kind = 'REPORT_APPROVED' AND report_id IN ($approved) GROUP BY report_id HAVING count(*) > 1)\").fetchone()[0])")
else
  in_register=$(psql "$primary" -qAtXc "SELECT count(*) FROM reports WHERE state = 'APPROVED' AND id IN ($approved)")
  twice=$(psql "$primary" -qAtXc "SELECT count(*) FROM (SELECT report_id FROM events WHERE kind = 'REPORT_APPROVED' AND report_id IN ($approved) GROUP BY report_id HAVING count(*) > 1) t")
fi
audit=$(SAFEGROUND_PASSWORD="$password" SAFEGROUND_DB= "$bin" --db "$primary" --user admin audit verify 2>&1) \
  || { echo "audit verify failed: $audit" >&2; exit 1; }
python3 - "$out/load.json" "$in_register" "$twice" "${kill_at:-}" "$servers" "$gpkg" "$replica_reads" "$mix" "$out"/server*.log <<'PY' | tee "$out/summary.txt"
import json, sys
load = json.load(open(sys.argv[1]))
in_register, twice, kill_at = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
servers, gpkg = sys.argv[5], sys.argv[6] == "1"
problems = []
# Requests held by the SIGKILLed server may fail; none other may.
window = (float(kill_at) - 1, float(kill_at) + 6) if kill_at else None
outside = [e for e in load["server_errors"] if not (window and window[0] <= e["at"] <= window[1])]
if outside:
    problems.append(f"{len(outside)} server errors outside the kill: {outside[:5]}")
if load["approved_twice"]:
    problems.append(f"approvals answered 200 twice: {load['approved_twice'][:5]}")
if in_register != len(load["approved"]):
    problems.append(f"{len(load['approved'])} approvals answered 200, {in_register} approved in the register")
if twice:
    problems.append(f"{twice} reports approved twice in the history")
replica_reads = int(sys.argv[7])
mix = sys.argv[8]
logs = {f: open(f, errors="replace").read() for f in sys.argv[9:]}
for what, text in [("panicked", "a server panicked"), ("requests still running were cut", "a stop cut requests"),
                   ("reading from the primary", "reads left the replica, which was never at fault"),
                   ("a read failed on the replica", "reads failed on the replica")]:
    found = [f for f, log in logs.items() if what in log]
    if found:
        problems.append(f"{text}: see {found}")
if not gpkg and replica_reads == 0:
    problems.append("no read was answered by the replica")
if load.get("client_failures"):
    problems.append(f"clients failed: {load['client_failures'][:3]}")
if mix == "day" and len(load["approved"]) == 0:
    problems.append("no approval was made: the mix did not run")
print(f"{'GeoPackage' if gpkg else 'PostgreSQL'}, {servers} server(s), {load['clients']} clients, {load['seconds']} s: "
      f"{load['requests']} requests, {load['per_second']}/s, p50 {load['p50_ms']} ms, p99 {load['p99_ms']} ms")
for k, v in sorted(load["kinds"].items()):
    print(f"  {k:8} {v['requests']:7} requests  p50 {v['p50_ms']:8} ms  p99 {v['p99_ms']:8} ms  {v['statuses']}")
print(f"  reads answered by the replica (servers as they stand at the end): {replica_reads}")
print(f"  approvals answered 200: {len(load['approved'])}, all in the register once: {in_register == len(load['approved']) and not twice}; "
      f"second approvals refused: {load['second_approvals_refused']}; errors within the kill window: "
      f"{len(load['server_errors']) - len(outside)}")
if problems:
    print("FAILED: " + "; ".join(problems))
    sys.exit(1)
print("cluster test passed")
PY
