#!/usr/bin/env bash
# The test command (README): installs the outside tools that check what
# safeground writes — GDAL (ogrinfo, validate_gpkg.py), GeographicLib, sqlite3,
# xmllint with the OGC KML schema, a GeoJSON validator, pyxform —
# then runs every test of the workspace.
#
# Where it cannot install them (not root, no apt-get), it says so, runs the
# rest, and lists every test it skipped at the end. In CI (CI=true) nothing is
# ever skipped: a missing tool is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
/usr/bin/python3 -c 'import osgeo' >/dev/null 2>&1 || missing+=(python3-gdal)
/usr/bin/python3 -c 'import geographiclib' >/dev/null 2>&1 || missing+=(python3-geographiclib)
command -v GeoConvert >/dev/null 2>&1 || missing+=(geographiclib-tools)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
# poppler-utils (pdftotext, pdffonts) read the PDF reports we write (tests/treaty.rs, tests/donor.rs).
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# exiftool reads the photographs' EXIF and Pillow their size upright (tests/attachments.rs).
command -v exiftool >/dev/null 2>&1 || missing+=(libimage-exiftool-perl)
/usr/bin/python3 -c 'import PIL' >/dev/null 2>&1 || missing+=(python3-pil)
# Debian's Chromium runs the web application's end-to-end test (tests/web.rs, tests/e2e).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
# PostGIS for the PostgreSQL backend's tests (tests/conformance.rs, crates/store/tests/concurrency.rs):
# each makes a fresh database on the server at SAFEGROUND_TEST_PG (default 127.0.0.1:5432, trust auth).
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
# HAProxy balances the servers of the cluster test (scripts/cluster-test.sh).
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
# nginx terminates TLS in front of `serve`, with a certificate openssl makes, for a field copy over HTTPS (tests/field_copy.rs).
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -e /usr/share/postgresql/15/extension/postgis.control ] || missing+=(postgresql-15-postgis-3)
pypi=()
# openpyxl reads the workbooks we write (the migration's reconciliation, tests/imsma.rs).
python3 -c 'import openpyxl' >/dev/null 2>&1 || pypi+=(openpyxl)
python3 -c 'import geojson_validator' >/dev/null 2>&1 || pypi+=(geojson-validator)
# fastkml ships the OGC KML 2.2 schema that KML exports are validated against.
python3 -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("fastkml") is None)' >/dev/null 2>&1 || pypi+=(fastkml)
# pyxform (xls2xform) converts the field forms (forms/*.xlsx) as KoBoToolbox and ODK Central do.
command -v xls2xform >/dev/null 2>&1 || pypi+=(pyxform)
# schemathesis fuzzes the HTTP API from its OpenAPI document (tests/serve.rs).
command -v st >/dev/null 2>&1 || pypi+=(schemathesis)
# prometheus_client's own parser reads the metrics the server exposes (tests/serve.rs).
python3 -c 'import prometheus_client' >/dev/null 2>&1 || pypi+=(prometheus-client)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the tools the tests check our output with: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif [ "${CI:-}" = true ]; then
    echo "CI needs ${missing[*]} and cannot install them (not root, or no apt-get)." >&2
    exit 1
  else
    echo "WARNING: cannot install ${missing[*]} here (needs root and apt-get)."
    echo "         The tests that need them will be SKIPPED and listed at the end."
    export SAFEGROUND_SKIP_EXTERNAL=1
  fi
fi

if [ ${#pypi[@]} -gt 0 ]; then
  if python3 -m pip install -q --disable-pip-version-check "${pypi[@]}" >/dev/null 2>&1; then
    echo "Installed from PyPI: ${pypi[*]}"
  elif [ "${CI:-}" = true ]; then
    echo "CI needs ${pypi[*]} from PyPI and could not install it." >&2
    exit 1
  else
    echo "WARNING: cannot install ${pypi[*]} from PyPI; the tests that need it will be SKIPPED and listed."
    export SAFEGROUND_SKIP_EXTERNAL=1
  fi
fi

# The PostgreSQL server the backend's tests use must answer.
pg="${SAFEGROUND_TEST_PG:-postgres://postgres@127.0.0.1:5432}"
if ! psql "$pg/postgres" -qAtXc 'SELECT 1' >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "CI needs PostgreSQL answering at $pg (set SAFEGROUND_TEST_PG to another server)." >&2
    exit 1
  fi
  echo "WARNING: no PostgreSQL answers at $pg; the PostGIS backend's tests will be SKIPPED and listed."
  export SAFEGROUND_SKIP_EXTERNAL=1
fi

mkdir -p target
rm -f target/skipped-tests.txt
cargo test --workspace --locked "$@"

# The national deployment under load and faults (a primary, its replica,
# three servers behind HAProxy): run with the suite, not with arguments
# (`--no-run`, a filter) that ask for part of it.
if [ $# -eq 0 ] && [ "${SAFEGROUND_SKIP_EXTERNAL:-}" = 1 ] && { ! command -v haproxy >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then
  echo "scripts/cluster-test.sh: needs haproxy and the PostgreSQL server binaries (Debian packages haproxy, postgresql)" >>target/skipped-tests.txt
elif [ $# -eq 0 ]; then
  cargo build --locked --quiet --bin safeground
  bash scripts/cluster-test.sh --bin target/debug/safeground --servers 3 --clients 200 --seconds 300
fi

if [ -s target/skipped-tests.txt ]; then
  echo
  echo "SKIPPED (not a pass): these tests did not run because a tool is missing:"
  sed 's/^/  /' target/skipped-tests.txt
fi
