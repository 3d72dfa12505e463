#!/usr/bin/env bash
# Benchmarks safeground against the tools users know, on the same data in the
# same run, and prints a table of times, ratios and our peak memory.
#
#   bash bench/run.sh [--scale tiny|national] [--only 1,2,…]
#
# tiny (200 hazards) is CI's smoke test; national is the demo's national
# register (100,000 hazards, ~300,000 released polygons, ~1,000,000 EO finds).
# Peers: GDAL's ogr2ogr, PostgreSQL 15 + PostGIS 3 (127.0.0.1:5432, a fresh
# database per run), shapely 2 / GEOS with pyproj. Installs what is missing
# (root, apt and pip). Absolute times on shared machines are noise: read the
# ratios. Results of a full run are in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

scale=tiny
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --scale=*) scale="${1#--scale=}"; shift ;;
    --only) only="$2"; shift 2 ;;
    --only=*) only="${1#--only=}"; shift ;;
    *) echo "usage: bench/run.sh [--scale tiny|national] [--only 1,2,…]" >&2; exit 2 ;;
  esac
done
# want N: whether row N runs (every row unless --only lists some).
want() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }
case "$scale" in
  tiny) demo_scale=benchmark:200 ;;
  national) demo_scale=benchmark ;;
  *) echo "--scale is tiny or national, not '$scale'" >&2; exit 2 ;;
esac

# --- peers ---------------------------------------------------------------
missing=()
command -v ogr2ogr >/dev/null || missing+=(gdal-bin)
[ -x /usr/bin/time ] || missing+=(time)
[ -e /usr/share/postgresql/15/extension/postgis.control ] || missing+=(postgresql-15-postgis-3)
command -v psql >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -c 'import shapely, pyproj; assert shapely.__version__ >= "2"' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check 'shapely>=2' pyproj >/dev/null
PG="host=127.0.0.1 port=5432 user=postgres"
psql "$PG dbname=postgres" -qtAc 'select 1' >/dev/null || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }

cargo build --release --quiet
bin="$PWD/target/release/safeground"
work="$PWD/target/bench/$scale"
rm -rf "$work" && mkdir -p "$work"
results="$work/results.tsv"
: > "$results"

# time_it NAME CMD...: runs CMD, records wall seconds and peak RSS (MB), keeps its output.
time_it() {
  local name="$1"; shift
  local t0 t1 kb
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/$name.time" "$@" > "$work/$name.out" 2> "$work/$name.err" \
    || { echo "$name failed:"; cat "$work/$name.err"; exit 1; }
  t1=$(date +%s%N)
  kb=$(tail -n 1 "$work/$name.time")
  printf '%s\t%s\t%s\n' "$name" "$(( (t1 - t0) / 1000 ))e-6" "$((kb / 1024))" >> "$results"
}

# --- data ----------------------------------------------------------------
echo "== data: the demo register at scale $demo_scale (seed 2020)"
"$bin" --db "$work/register.gpkg" demo --scale "$demo_scale" --seed 2020 --no-serve > "$work/demo.out"
for l in districts settlements organisations hazards released_areas eo_finds; do
  "$bin" --db "$work/register.gpkg" export --layer "$l" --format geojson "$work/$l.geojson" 2>/dev/null
done
db="sg_bench_$$"
# The databases of rows 7 and 8, named here so that every exit drops whichever were made.
pgdb="sg_bench_pg_$$"
ngdb="sg_bench_ng_$$"
psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
trap 'psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
psql "$PG dbname=$db" -qc "CREATE EXTENSION postgis" >/dev/null
# PostGIS holds the same layers as our exports (codes, names, figures), with GiST indexes.
for l in hazards released_areas eo_finds settlements districts; do
  ogr2ogr -f PostgreSQL "PG:$PG dbname=$db" "$work/$l.geojson" -nln "$l" \
    -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -lco FID=fid
done
psql "$PG dbname=$db" -qc "VACUUM ANALYZE" >/dev/null
sql() { psql "$PG dbname=$db" -qtA -c "$1"; }
export PG db bin work
export -f sql

# warm: reads the register file and PostGIS's tables into the page cache, so
# that every read row times the work and not whichever side a peer's row just
# pushed out of memory (the register is read from disk, PostGIS from its
# buffers and the same page cache). Run before each read row, for both sides.
warm() {
  cat "$work/register.gpkg" > /dev/null
  sql "SELECT count(*) FROM hazards; SELECT count(*) FROM released_areas; SELECT count(*) FROM eo_finds;
       SELECT count(*) FROM settlements" > /dev/null
}

# --- 1. import -----------------------------------------------------------
if want 1; then
echo "== 1. import hazards and EO finds from GeoJSON"
"$bin" --db "$work/imported.gpkg" init > /dev/null
for l in districts settlements organisations; do
  "$bin" --db "$work/imported.gpkg" import "$work/$l.geojson" --layer "$l" > /dev/null
done
import_both() {
  "$bin" --db "$work/imported.gpkg" import "$work/hazards.geojson" --layer hazards
  "$bin" --db "$work/imported.gpkg" import "$work/eo_finds.geojson" --layer eo_finds
}
export -f import_both
time_it import_ours bash -c import_both
ogr_import() {
  ogr2ogr -f GPKG "$work/ogr.gpkg" "$work/hazards.geojson" -nln hazards
  ogr2ogr -f GPKG -update "$work/ogr.gpkg" "$work/eo_finds.geojson" -nln eo_finds
}
export -f ogr_import
time_it import_ogr2ogr bash -c ogr_import
fi

# --- 2. land-release accounting -------------------------------------------
if want 2; then
echo "== 2. the land-release figures of every hazard: recorded, cancelled, reduced, cleared, remaining"
warm
# Every side computes the same four figures (IMAS 07.11): the ground
# recorded, cancelled, reduced and cleared (each outcome's released polygons
# unioned and clipped to the hazard) and what remains (the hazard less the
# union of all of them), summed over the register, geodesic m² on WGS84.
time_it accounting_ours "$bin" --db "$work/register.gpkg" verify --json
accounting_sql="WITH o AS (SELECT hazard, outcome, ST_Union(geom) AS u FROM released_areas GROUP BY hazard, outcome),
  a AS (SELECT hazard, ST_Union(u) AS u FROM o GROUP BY hazard),
  per AS (SELECT o.outcome, sum(ST_Area(ST_Intersection(h.geom, o.u)::geography)) AS m2
          FROM o JOIN hazards h ON h.code = o.hazard GROUP BY o.outcome),
  rest AS (SELECT count(*) AS n, sum(ST_Area(h.geom::geography)) AS recorded,
           sum(ST_Area(CASE WHEN a.u IS NULL THEN h.geom ELSE ST_Difference(h.geom, a.u) END::geography)) AS remaining
           FROM hazards h LEFT JOIN a ON a.hazard = h.code)
  SELECT n || ' hazards, km2 recorded ' || round((recorded / 1e6)::numeric, 6)
    || ' cancelled ' || round((coalesce((SELECT m2 FROM per WHERE outcome = 'CANCELLED'), 0) / 1e6)::numeric, 6)
    || ' reduced ' || round((coalesce((SELECT m2 FROM per WHERE outcome = 'REDUCED'), 0) / 1e6)::numeric, 6)
    || ' cleared ' || round((coalesce((SELECT m2 FROM per WHERE outcome = 'CLEARED'), 0) / 1e6)::numeric, 6)
    || ' remain ' || round((remaining / 1e6)::numeric, 6) FROM rest"
time_it accounting_postgis bash -c 'sql "$1"' _ "$accounting_sql"
time_it accounting_shapely python3 bench/peers.py accounting "$work/hazards.geojson" "$work/released_areas.geojson"
fi

# --- 3. proximity --------------------------------------------------------
if want 3; then
echo "== 3. hazards within 1 km of each settlement"
warm
time_it proximity_ours "$bin" --db "$work/register.gpkg" near --settlements --within 1000 --json
proximity_sql="SELECT count(*) FROM settlements s JOIN hazards h
  ON h.geom && ST_Expand(s.geom, 0.02) AND ST_DWithin(h.geom::geography, s.geom::geography, 1000)"
time_it proximity_postgis bash -c 'sql "$1"' _ "$proximity_sql"
time_it proximity_shapely python3 bench/peers.py proximity "$work/hazards.geojson" "$work/settlements.geojson" 1000
fi

# --- 4. national summary -------------------------------------------------
if want 4; then
echo "== 4. the national summary"
warm
time_it summary_ours "$bin" --db "$work/register.gpkg" summary --json
summary_sql="SELECT d, n, rec, can, red, clr, rem FROM (SELECT district d, count(*) n, sum(area_recorded_m2) rec,
  sum(area_cancelled_m2) can, sum(area_reduced_m2) red, sum(area_cleared_m2) clr, sum(area_remaining_m2) rem
  FROM hazards GROUP BY ROLLUP(district)) t;
  SELECT district, category, sum(quantity) FROM eo_finds WHERE disposal LIKE '%DESTROYED%' GROUP BY 1, 2;"
time_it summary_postgresql psql "$PG dbname=$db" -qtA -c "$summary_sql"
fi

# --- 5. vector tiles -----------------------------------------------------
if want 5; then
echo "== 5. hazard tiles at zooms 8-14"
warm
python3 bench/peers.py tiles-list 8 14 46.3 39.2 47.3 40.1 > "$work/tiles.txt"
# Both render every tile of the list in one process and one database session.
time_it tiles_ours "$bin" --db "$work/register.gpkg" tiles --layer hazards --list "$work/tiles.txt"
{
  while read -r z x y; do
    echo "SELECT length(ST_AsMVT(q, 'hazards')) FROM (SELECT code, status, kind, ST_AsMVTGeom(ST_Transform(geom, 3857),
      ST_TileEnvelope($z, $x, $y), 4096, 64, true) AS geom FROM hazards
      WHERE geom && ST_Transform(ST_TileEnvelope($z, $x, $y, margin => 64.0 / 4096), 4326)) q;"
  done < "$work/tiles.txt"
} > "$work/tiles.sql"
time_it tiles_postgis psql "$PG dbname=$db" -qtA -f "$work/tiles.sql"
fi

# --- 6. export -----------------------------------------------------------
if want 6; then
echo "== 6. export the hazards layer"
warm
time_it export_geojson_ours "$bin" --db "$work/register.gpkg" export --layer hazards --format geojson "$work/out.geojson"
time_it export_geojson_ogr2ogr ogr2ogr -f GeoJSON "$work/ogr-out.geojson" "$work/register.gpkg" hazards
time_it export_gpkg_ours "$bin" --db "$work/register.gpkg" export --layer hazards --format gpkg "$work/out.gpkg"
time_it export_gpkg_ogr2ogr ogr2ogr -f GPKG "$work/ogr-out.gpkg" "$work/register.gpkg" hazards
fi

# --- 7. PostgreSQL against GeoPackage -----------------------------------------
if want 7; then
echo "== 7. import 1,000 hazards into a PostgreSQL register and into a GeoPackage"
python3 - "$work/hazards.geojson" "$work/hazards-1000.geojson" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["features"] = d["features"][:1000]
json.dump(d, open(sys.argv[2], "w"))
PY
pgdb="sg_bench_pg_$$"
psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $pgdb" -c "CREATE DATABASE $pgdb" >/dev/null
trap 'psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $pgdb" >/dev/null 2>&1 || true' EXIT
for target in "$work/small.gpkg" "postgres://postgres@127.0.0.1:5432/$pgdb"; do
  "$bin" --db "$target" init > /dev/null
  for l in districts settlements organisations; do
    "$bin" --db "$target" import "$work/$l.geojson" --layer "$l" > /dev/null
  done
done
time_it import_1000_gpkg "$bin" --db "$work/small.gpkg" import "$work/hazards-1000.geojson" --layer hazards
time_it import_1000_postgresql "$bin" --db "postgres://postgres@127.0.0.1:5432/$pgdb" import "$work/hazards-1000.geojson" --layer hazards
fi

# --- 8. migration from IMSMA NG ---------------------------------------------
if want 8; then
case "$scale" in tiny) ng_n=2000 ;; national) ng_n=100000 ;; esac
echo "== 8. migrate $ng_n hazards from a synthetic IMSMA NG database"
ngdb="sg_bench_ng_$$"
psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $ngdb" -c "CREATE DATABASE $ngdb" >/dev/null
trap 'psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $pgdb" -c "DROP DATABASE IF EXISTS $ngdb" >/dev/null 2>&1 || true' EXIT
psql "$PG dbname=$ngdb" -qX -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION postgis' \
  -f tests/fixtures/imsma_ng/schema.sql -v n="$ng_n" -f bench/ng_synthetic.sql > /dev/null
"$bin" --db "$work/migrated.gpkg" init > /dev/null
for l in districts settlements organisations; do
  "$bin" --db "$work/migrated.gpkg" import "$work/$l.geojson" --layer "$l" > /dev/null
done
time_it migrate_ng_ours "$bin" --db "$work/migrated.gpkg" import-imsma ng "postgres://postgres@127.0.0.1:5432/$ngdb" \
  --mapping tests/fixtures/imsma_ng/mapping.toml --organisation ANAMA --objects hazard,hazreduc
"$bin" --db "$work/migrated.gpkg" summary --json > "$work/migrate_ng_summary.json"
time_it migrate_ng_postgis psql "$PG dbname=$ngdb" -qAtX -F ' ' -f bench/ng_check_postgis.sql
fi

# --- 9. the register view: a filtered page of the hazard table ------------
if want 9; then
echo "== 9. filtered, sorted pages of the hazard table over HTTP"
python3 bench/peers.py page-plan "$work/hazards.geojson" "$work/pages.json" "$work/pages.sql"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --db "$work/register.gpkg" serve --addr "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; psql "$PG dbname=postgres" -qc "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $pgdb" -c "DROP DATABASE IF EXISTS $ngdb" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/api/health" > /dev/null && break
  sleep 0.1
done
warm
# Three rounds of every page: each answer timed by the client (the .out's last line).
time_it hazard_pages_ours python3 bench/peers.py pages "http://127.0.0.1:$port" "$work/pages.json" 3
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
cat "$work/pages.sql" "$work/pages.sql" "$work/pages.sql" > "$work/pages3.sql"
time_it hazard_pages_postgis psql "$PG dbname=$db" -qAtX -o /dev/null -f "$work/pages3.sql"
fi

# --- the table -----------------------------------------------------------
python3 - "$results" "$work" "$scale" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, secs, mb = line.split("\t")
    rows[name] = (float(secs), int(mb))
work = sys.argv[2]
def said(name):
    try:
        text = open(f"{work}/{name}.out").read().strip()
        if name == "tiles_postgis":
            lines = [l for l in text.splitlines() if l.strip()]
            return f"{len(lines)} tiles, {sum(int(l) for l in lines)} bytes"
        if name == "accounting_ours":
            import json
            v = json.loads(text)
            t = v["totals"]
            return (f"{v['hazards']} hazards, km2 recorded {t['recorded'] / 1e6:.6f} cancelled {t['cancelled'] / 1e6:.6f}"
                    f" reduced {t['reduced'] / 1e6:.6f} cleared {t['cleared'] / 1e6:.6f} remain {t['remaining'] / 1e6:.6f}"
                    f" (largest difference from the register {v['max_difference_m2']:.3e} m2)")
        if name == "proximity_ours":
            import json
            return f"{len(json.loads(text))} settlement-hazard pairs within 1000 m"
        return text.splitlines()[-1][:160]
    except (OSError, IndexError):
        return ""
table = [
    ("1. import hazards + EO finds (GeoJSON)", "import_ours", [("ogr2ogr -f GPKG", "import_ogr2ogr")]),
    ("2. land-release accounting", "accounting_ours", [("PostGIS", "accounting_postgis"), ("shapely 2", "accounting_shapely")]),
    ("3. hazards within 1 km of settlements", "proximity_ours", [("PostGIS", "proximity_postgis"), ("shapely 2", "proximity_shapely")]),
    ("4. national summary", "summary_ours", [("PostgreSQL", "summary_postgresql")]),
    ("5. hazard tiles z8-14", "tiles_ours", [("PostGIS ST_AsMVT", "tiles_postgis")]),
    ("6a. export hazards to GeoJSON", "export_geojson_ours", [("ogr2ogr", "export_geojson_ogr2ogr")]),
    ("6b. export hazards to GeoPackage", "export_gpkg_ours", [("ogr2ogr", "export_gpkg_ogr2ogr")]),
    ("7. import 1,000 hazards, on PostgreSQL", "import_1000_postgresql", [("ours on GeoPackage", "import_1000_gpkg")]),
    ("8. migrate hazards from IMSMA NG", "migrate_ng_ours", [("PostGIS check only", "migrate_ng_postgis")]),
    ("9. hazard table pages over HTTP", "hazard_pages_ours", [("PostGIS SQL only", "hazard_pages_postgis")]),
]
print(f"\nscale: {sys.argv[3]}  (ratio = peer time / our time: above 1, we are faster)\n")
print(f"| {'task':40} | {'ours s':>8} | {'our peak MB':>11} | {'peer':18} | {'peer s':>8} | {'ratio':>6} |")
print(f"|{'-'*42}|{'-'*10}|{'-'*13}|{'-'*20}|{'-'*10}|{'-'*8}|")
for task, ours, peers in table:
    if ours not in rows:
        continue
    s, mb = rows[ours]
    for peer, key in peers:
        if key not in rows:
            continue
        ps, _ = rows[key]
        ratio = ps / s if s > 0 else float("inf")
        print(f"| {task:40} | {s:8.2f} | {mb:11d} | {peer:18} | {ps:8.2f} | {ratio:6.2f} |")
        task = ""
print("\nwhat each computed:")
for name in ["accounting_ours", "accounting_postgis", "accounting_shapely", "proximity_ours", "proximity_postgis", "proximity_shapely", "tiles_ours", "tiles_postgis", "migrate_ng_ours", "migrate_ng_postgis", "hazard_pages_ours"]:
    if name in rows:
        print(f"  {name}: {said(name)}")
PY
