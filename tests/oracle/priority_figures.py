#!/usr/bin/env python3
"""Independent check of `safeground priorities --json`: what each criterion
measured for every ranked hazard, recomputed from the register's GeoPackage
with GDAL/OGR (GEOS distances in an azimuthal equidistant projection centred
on each settlement or accident, PROJ) and the scenario read with tomllib; and
the arithmetic of the score (points = 100 × weight / Σ weights × share, the
score their sum, quantities' shares against the highest ranked).

    /usr/bin/python3 tests/oracle/priority_figures.py DB.gpkg SCENARIO.toml RANKING.json
"""
import datetime
import json
import sys
import tomllib

from osgeo import ogr, osr

ogr.UseExceptions()
osr.UseExceptions()

WGS84 = osr.SpatialReference()
WGS84.ImportFromEPSG(4326)
WGS84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
# Distances within this many metres of a threshold are left to either side.
EDGE = 2.0


def near(points, shape, within):
    """Indices of points within `within` m of shape (None: too close to call)."""
    out, unsure = [], []
    for i, (x, y) in enumerate(points):
        local = osr.SpatialReference()
        local.ImportFromProj4(f"+proj=aeqd +lat_0={y} +lon_0={x} +datum=WGS84 +units=m")
        local.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        env = shape.GetEnvelope()
        if x < env[0] - 0.5 or x > env[1] + 0.5 or y < env[2] - 0.5 or y > env[3] + 0.5:
            continue
        g = shape.Clone()
        g.Transform(osr.CoordinateTransformation(WGS84, local))
        p = ogr.Geometry(ogr.wkbPoint)
        p.AddPoint_2D(0, 0)
        d = g.Distance(p)
        if abs(d - within) <= EDGE:
            unsure.append(i)
        elif d <= within:
            out.append(i)
    return out, unsure


def main(db, scenario_path, ranking_path):
    s = tomllib.load(open(scenario_path, "rb"))
    c = s["criteria"]
    got = json.load(open(ranking_path))
    as_of = datetime.date.fromisoformat(got["as_of"])
    ds = ogr.Open(db)
    hazards = {}
    for f in ds.ExecuteSQL("SELECT * FROM hazards WHERE revoked_at IS NULL"):
        hazards[f.GetField("code")] = (f.GetGeometryRef().Clone(), f.GetField("land_use") or "",
                                       f.GetField("area_remaining_m2"), f.GetField("id"))
    places = [((f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()), f.GetField("population"))
              for f in ds.GetLayerByName("settlements") if (f.GetField("population") or 0) > 0]
    years = c["casualties"]["years"]
    since = as_of.replace(year=as_of.year - years)
    accidents = []
    for f in ds.ExecuteSQL("SELECT * FROM accidents WHERE revoked_at IS NULL"):
        on = datetime.date.fromisoformat(f.GetField("occurred_on").replace("/", "-"))
        people = f.GetField("killed") + f.GetField("injured")
        if since < on <= as_of and people > 0:
            accidents.append(((f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()), people))
    evidence = {}
    for f in ds.GetLayerByName("hazard_evidence"):
        rank = {"LOW": 0.3, "MEDIUM": 0.6, "HIGH": 1.0}[f.GetField("confidence")]
        evidence[f.GetField("hazard_id")] = max(evidence.get(f.GetField("hazard_id"), 0.0), rank)

    weights = {k: v["weight"] for k, v in c.items()}
    total = sum(weights.values())
    problems = []
    measured = {}
    for r in got["ranked"]:
        shape, land_use, remaining, hid = hazards[r["code"]]
        mine = {x["criterion"]: x for x in r["contributions"]}
        pop, unsure_p = near([p for p, _ in places], shape, c["population"]["within_m"])
        cas, unsure_c = near([p for p, _ in accidents], shape, c["casualties"]["within_m"])
        want = {
            "population": None if unsure_p else float(sum(places[i][1] for i in pop)),
            "casualties": None if unsure_c else float(sum(accidents[i][1] for i in cas)),
            "land_use": max([c["land_use"]["values"].get(u, 0.0) for u in land_use.split(",") if u] or [0.0]),
            "evidence": evidence.get(hid, 0.0),
            "cost": remaining / c["cost"]["m2_per_team_day"] * c["cost"]["team_day_cost"],
        }
        measured[r["code"]] = mine
        for k, v in want.items():
            if v is not None and abs(mine[k]["value"] - v) > 1e-6 * max(1.0, abs(v)):
                problems.append(f"{r['code']} {k}: safeground {mine[k]['value']}, oracle {v}")
        points = sum(x["points"] for x in r["contributions"])
        if abs(points - r["score"]) > 1e-9:
            problems.append(f"{r['code']}: contributions add up to {points}, score {r['score']}")
    # Shares: quantities against the highest ranked, the cost inverted.
    for k in ("population", "casualties", "cost"):
        top = max(m[k]["value"] for m in measured.values())
        for code, m in measured.items():
            share = (1 - m[k]["value"] / top if top > 0 else 1.0) if k == "cost" else (m[k]["value"] / top if top > 0 else 0.0)
            pts = 100 * weights[k] / total * share
            if abs(m[k]["points"] - pts) > 1e-9:
                problems.append(f"{code} {k}: {m[k]['points']} points, oracle {pts}")
    scores = [r["score"] for r in got["ranked"]]
    if scores != sorted(scores, reverse=True):
        problems.append("the ranking is not by score, highest first")
    if problems:
        print("\n".join(problems[:40]))
        sys.exit(1)
    print(f"{len(got['ranked'])} hazards agree")


if __name__ == "__main__":
    main(*sys.argv[1:4])
