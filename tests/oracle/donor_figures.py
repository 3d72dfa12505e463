"""Recomputes a donor report's figures, independently of safeground's project
and KPI code: the released ground from the `released_areas` layer exported as
of the period's last day (each polygon's area recomputed on the WGS 84
ellipsoid with GeographicLib, the polygon's task read from the layer), the EO
found from the `eo_finds` layer (its task: its finding activity's, else its
report's) and the risk education from the `eore_sessions` layer (its report's
task); those links and the project's tasks read with sqlite3. Prints JSON for tests/donor.rs to compare.

usage: donor_figures.py REGISTER.gpkg PROJECT FROM TO RELEASED.geojson FINDS.geojson SESSIONS.geojson"""
import json
import sqlite3
import sys
from collections import defaultdict

from geographiclib.geodesic import Geodesic

register, project, start, end = sys.argv[1:5]
released, finds, sessions = (json.load(open(p))["features"] for p in sys.argv[5:8])
db = sqlite3.connect(register)
tasks = {code for (code,) in db.execute(
    "SELECT t.code FROM project_tasks pt JOIN tasks t ON t.id = pt.task_id "
    "JOIN projects p ON p.id = pt.project_id WHERE p.code = ?", (project,))}
report_task = {rid: code for rid, code in db.execute(
    "SELECT r.id, t.code FROM reports r JOIN tasks t ON t.id = r.task_id")}
# A find is its finding activity's task's, else its report's.
find_task = {fid: code for fid, code in db.execute(
    "SELECT f.id, coalesce(ta.code, tr.code) FROM eo_finds f "
    "LEFT JOIN activities a ON a.id = f.activity_id LEFT JOIN tasks ta ON ta.id = a.task_id "
    "LEFT JOIN reports r ON r.id = f.report_id LEFT JOIN tasks tr ON tr.id = r.task_id")}


def ring_area(ring):
    poly = Geodesic.WGS84.Polygon()
    for lon, lat in ring[:-1]:
        poly.AddPoint(lat, lon)
    _, _, area = poly.Compute(False, True)
    return abs(area)


def area(geometry):
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return sum(ring_area(p[0]) - sum(ring_area(h) for h in p[1:]) for p in polygons)


out = {"released_m2": defaultdict(float), "found": defaultdict(int), "sessions": 0,
       "reached": {"girls": 0, "boys": 0, "women": 0, "men": 0}, "tasks": sorted(tasks)}
for f in released:
    p = f["properties"]
    if p["task"] in tasks and start <= p["released_on"] <= end:
        out["released_m2"][p["outcome"].lower()] += area(f["geometry"])
for f in finds:
    p = f["properties"]
    if find_task.get(p["id"]) in tasks and start <= p["found_on"] <= end:
        out["found"][p["eo_type"]] += p["quantity"]
for f in sessions:
    p = f["properties"]
    if report_task.get(p["report_id"]) in tasks and start <= p["held_on"] <= end:
        out["sessions"] += 1
        for k in out["reached"]:
            out["reached"][k] += p[k]
print(json.dumps(out))
