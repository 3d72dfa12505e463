#!/usr/bin/env bash
# Requests per second and latencies of the national deployment's mix
# (scripts/load.py: tiles, summaries, hazard pages, submissions, approvals)
# with one, two and three servers on the same PostgreSQL primary (reads from
# its streaming replica), and one server on a GeoPackage, in one run, with the
# release build. No faults: these are the figures of a quiet day.
#
#   bash bench/cluster.sh [--clients N] [--seconds S] [--national]
#
# --national measures map tiles only (load.py --mix tiles) on the national
# demo (100,000 hazards, 1.08 M EO finds; built once into
# target/bench/national.gpkg, about six minutes, and kept): one server on the
# GeoPackage, one and three on PostgreSQL with the replica.
#
# Prints a table for BENCHMARKS.md; each run's details are in
# target/bench/cluster/<run>/summary.txt and load.json.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=200
seconds=30
national=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --national) national=1; shift ;;
    *) echo "usage: bench/cluster.sh [--clients N] [--seconds S] [--national]" >&2; exit 2 ;;
  esac
done
cargo build --release --locked --quiet --bin safeground
out=target/bench/cluster
[ "$national" = 1 ] && out=target/bench/cluster-national
rm -rf "$out" && mkdir -p "$out"
run() { # NAME ARGS...
  local name=$1; shift
  bash scripts/cluster-test.sh --bin target/release/safeground --no-faults --clients "$clients" \
    --seconds "$seconds" --out "$out/$name" "$@" >"$out/$name.log" 2>&1 \
    || { echo "$name failed: see $out/$name.log" >&2; tail -5 "$out/$name.log" >&2; exit 1; }
}
if [ "$national" = 1 ]; then
  register=target/bench/national.gpkg
  if [ ! -f "$register" ]; then
    echo "building the national demo into $register (once)" >&2
    SAFEGROUND_DB= target/release/safeground --db "$register.part" demo --scale national --no-serve >/dev/null
    mv "$register.part" "$register"
  fi
  run gpkg-1 --gpkg --register "$register" --mix tiles
  for n in 1 3; do run "pg-$n" --servers "$n" --register "$register" --mix tiles; done
  echo "| deployment | clients | tiles/s | MB/s | p50 ms | p99 ms | 5xx or no answer |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for name in gpkg-1 pg-1 pg-3; do
    python3 - "$out/$name/load.json" "$name" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
name = {"gpkg-1": "1 server, GeoPackage", "pg-1": "1 server, PostgreSQL + replica",
        "pg-3": "3 servers, PostgreSQL + replica"}[sys.argv[2]]
t = l["kinds"]["tile"]
print(f"| {name} | {l['clients']} | {t['requests'] / l['seconds']:.1f} | {l['tile_bytes'] / l['seconds'] / 1e6:.2f} | "
      f"{t['p50_ms']} | {t['p99_ms']} | {len(l['server_errors'])} |")
PY
  done
  exit 0
fi
run gpkg-1 --gpkg
for n in 1 2 3; do run "pg-$n" --servers "$n"; done
echo "| deployment | clients | requests/s | p50 ms | p99 ms | approvals/s | tile p99 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for name in gpkg-1 pg-1 pg-2 pg-3; do
  python3 - "$out/$name/load.json" "$name" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
name = {"gpkg-1": "1 server, GeoPackage", "pg-1": "1 server, PostgreSQL + replica",
        "pg-2": "2 servers, PostgreSQL + replica", "pg-3": "3 servers, PostgreSQL + replica"}[sys.argv[2]]
approvals = l["kinds"].get("approve", {}).get("statuses", {}).get("200", 0) / l["seconds"]
print(f"| {name} | {l['clients']} | {l['per_second']} | {l['p50_ms']} | {l['p99_ms']} | {approvals:.1f} | "
      f"{l['kinds']['tile']['p99_ms']} |")
PY
done
