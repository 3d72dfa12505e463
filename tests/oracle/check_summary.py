#!/usr/bin/env python3
"""Independent check of `safeground summary --json` against the GeoPackage.

Reads the register with GDAL/OGR (not our code), redoes the land-release
accounting with GEOS (OGR's Union, Intersection, Difference) and measures
every area with GeographicLib (Python, Karney), then compares per district
and in total with the summary safeground printed.

    /usr/bin/python3 tests/oracle/check_summary.py DB.gpkg SUMMARY.json

Exits 0 and prints the largest differences when everything agrees; exits 1
naming the first figure that does not.
"""
import json
import sys
from collections import defaultdict

from geographiclib.geodesic import Geodesic
from osgeo import ogr

ogr.UseExceptions()
G = Geodesic.WGS84

# Tolerances. Areas: GEOS and safeground overlay in different planes (GEOS in
# longitude/latitude, safeground in a gnomonic projection that follows the
# geodesics), so pieces cut by an overlay differ by centimetres along the cut;
# 1e-6 relative (1 m² per km²) plus 0.01 m² per hazard is far inside survey
# accuracy and far outside rounding.
REL = 1e-6
ABS_PER_HAZARD = 0.01


def ring_area(ring):
    pts = ring.GetPoints()
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts = pts[:-1]
    if len(pts) < 3:
        return 0.0
    p = G.Polygon()
    for x, y in pts:
        p.AddPoint(y, x)
    _, _, area = p.Compute(False, True)
    return abs(area)


def area(geom):
    if geom is None or geom.IsEmpty():
        return 0.0
    t = ogr.GT_Flatten(geom.GetGeometryType())
    if t == ogr.wkbPolygon:
        rings = [geom.GetGeometryRef(i) for i in range(geom.GetGeometryCount())]
        return max(0.0, ring_area(rings[0]) - sum(ring_area(r) for r in rings[1:]))
    if t in (ogr.wkbMultiPolygon, ogr.wkbGeometryCollection):
        return sum(area(geom.GetGeometryRef(i)) for i in range(geom.GetGeometryCount()))
    return 0.0  # lines and points left over by an overlay have no area


def main(db, summary_path):
    summary = json.load(open(summary_path))
    ds = ogr.Open(db)
    districts = {f.GetField("id"): f.GetField("name") for f in ds.GetLayerByName("districts")}
    released = defaultdict(list)
    # Records count while in force: ground a failed QC re-opened, or a report
    # unapproved, has `revoked_at` set.
    for f in ds.GetLayerByName("released_areas"):
        if f.GetField("revoked_at"):
            continue
        released[f.GetField("hazard_id")].append((f.GetField("outcome"), f.GetGeometryRef().Clone()))
    want = defaultdict(lambda: {"recorded": 0.0, "cancelled": 0.0, "reduced": 0.0, "cleared": 0.0,
                                "remaining": 0.0, "n": 0, "status": defaultdict(int)})
    per_hazard_worst = 0.0
    for f in ds.GetLayerByName("hazards"):
        if f.GetField("revoked_at"):
            continue
        h = f.GetGeometryRef().Clone()
        d = want[districts[f.GetField("district_id")]]
        rec = area(h)
        # The recorded area attribute against GeographicLib directly.
        stored = f.GetField("area_recorded_m2")
        rel = abs(stored - rec) / rec
        per_hazard_worst = max(per_hazard_worst, rel)
        if rel > 1e-9 and abs(stored - rec) > 1e-4:
            sys.exit(f"hazard {f.GetField('code')}: area_recorded_m2 {stored} but GeographicLib gives {rec}")
        d["recorded"] += rec
        d["n"] += 1
        d["status"][f.GetField("status")] += 1
        everything = None
        for outcome in ("CANCELLED", "REDUCED", "CLEARED"):
            parts = [g for o, g in released.get(f.GetField("id"), []) if o == outcome]
            if not parts:
                continue
            u = parts[0]
            for g in parts[1:]:
                u = u.Union(g)
            d[outcome.lower()] += area(u.Intersection(h))
            everything = u if everything is None else everything.Union(u)
        d["remaining"] += rec if everything is None else area(h.Difference(everything))

    def compare(label, got, expected, n):
        tol = REL * max(abs(expected), 1.0) + ABS_PER_HAZARD * max(n, 1)
        if abs(got - expected) > tol:
            sys.exit(f"{label}: safeground says {got}, GEOS + GeographicLib say {expected} (tolerance {tol:.3f})")
        return abs(got - expected) / max(abs(expected), 1.0)

    worst = 0.0
    got_districts = {d["name"]: d for d in summary["districts"]}
    totals = defaultdict(float)
    for name, w in want.items():
        g = got_districts.get(name)
        if g is None:
            sys.exit(f"district {name} has hazards but is missing from the summary")
        for k in ("recorded", "cancelled", "reduced", "cleared", "remaining"):
            worst = max(worst, compare(f"{name} {k}", g["area_m2"][k], w[k], w["n"]))
            totals[k] += w[k]
        for status, key in (("OPEN", "open"), ("WORKED_ON", "worked_on"), ("CLOSED", "closed"),
                            ("HANDED_OVER", "handed_over")):
            if g["hazards"][key] != w["status"][status]:
                sys.exit(f"{name}: {g['hazards'][key]} hazards {status} in the summary, {w['status'][status]} in the file")
    n_all = sum(w["n"] for w in want.values())
    for k, v in totals.items():
        worst = max(worst, compare(f"total {k}", summary["totals"]["area_m2"][k], v, n_all))
    if summary["totals"]["hazards"]["total"] != n_all:
        sys.exit(f"total hazards {summary['totals']['hazards']['total']} in the summary, {n_all} in the file")

    # EO destroyed by category, counted by OGR SQL.
    res = ds.ExecuteSQL("SELECT category, SUM(quantity) AS n FROM eo_finds "
                        "WHERE disposal IN ('DESTROYED_IN_SITU','REMOVED_AND_DESTROYED') AND revoked_at IS NULL GROUP BY category")
    eo = {f.GetField("category"): f.GetField("n") for f in res}
    ds.ReleaseResultSet(res)
    if eo != summary["totals"]["eo_destroyed"]:
        sys.exit(f"EO destroyed: summary {summary['totals']['eo_destroyed']}, file {eo}")
    # People reached by EORE.
    res = ds.ExecuteSQL("SELECT SUM(girls) AS g, SUM(boys) AS b, SUM(women) AS w, SUM(men) AS m FROM eore_sessions WHERE revoked_at IS NULL")
    f = res.GetNextFeature()
    reach = {"girls": f.GetField("g"), "boys": f.GetField("b"), "women": f.GetField("w"), "men": f.GetField("m")}
    ds.ReleaseResultSet(res)
    if reach != summary["totals"]["eore_reach"]:
        sys.exit(f"EORE reach: summary {summary['totals']['eore_reach']}, file {reach}")
    # Casualties: accidents carry the counts (victims themselves are internal).
    res = ds.ExecuteSQL("SELECT substr(occurred_on, 1, 4) AS y, SUM(killed) AS k, SUM(injured) AS i "
                        "FROM accidents WHERE revoked_at IS NULL GROUP BY substr(occurred_on, 1, 4)")
    cas = {f.GetField("y"): {"killed": f.GetField("k"), "injured": f.GetField("i")} for f in res}
    ds.ReleaseResultSet(res)
    if cas != summary["totals"]["casualties"]:
        sys.exit(f"casualties: summary {summary['totals']['casualties']}, file {cas}")
    print(json.dumps({"hazards": n_all, "districts": len(want), "worst_relative_area_difference": worst,
                      "worst_recorded_area_vs_geographiclib": per_hazard_worst}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
