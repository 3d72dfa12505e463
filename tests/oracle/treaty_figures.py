"""Recomputes a treaty report's figures from the register's exported layers
(as of 31 December of the year and of the year before), independently of
safeground's treaty code, and prints them as JSON for the test to compare.

usage: treaty_figures.py SCOPE YEAR HAZARDS_BEFORE HAZARDS_AFTER EO_FINDS SESSIONS ACCIDENTS REGISTER.gpkg
SCOPE is AP (APMBC) or CMR (CCM); the layers are GeoJSON exports; the
register is read with sqlite3 for the victims (no layer carries their sex
and age)."""
import json
import sqlite3
import sys
from collections import defaultdict

scope, year = sys.argv[1], sys.argv[2]
before, after, finds, sessions, accidents = (json.load(open(p))["features"] for p in sys.argv[3:8])
register = sys.argv[8]


def props(features):
    return [f["properties"] for f in features]


def in_scope(h):
    return scope in (h["contamination"] or "").split(",")


start = {h["code"]: h for h in props(before)}
released = defaultdict(lambda: [0.0, 0.0, 0.0])
remaining = defaultdict(lambda: {"SHA": 0.0, "CHA": 0.0})
areas = []
for h in filter(in_scope, props(after)):
    was = start.get(h["code"], {})
    for i, k in enumerate(["area_cancelled_m2", "area_reduced_m2", "area_cleared_m2"]):
        released[h["district"]][i] += h[k] - was.get(k, 0.0)
    remaining[h["district"]][h["kind"]] += h["area_remaining_m2"]
    if h["area_remaining_m2"] > 0:
        areas.append(h["code"])

destroyed = defaultdict(int)
for f in props(finds):
    if f["category"] == scope and f["found_on"].startswith(year) and f["disposal"] != "HANDED_OVER":
        destroyed[f["eo_type"]] += f["quantity"]

reach = {"girls": 0, "boys": 0, "women": 0, "men": 0}
held = 0
for s in props(sessions):
    if s["held_on"].startswith(year):
        held += 1
        for k in reach:
            reach[k] += s[k]

killed = sum(a["killed"] for a in props(accidents) if a["occurred_on"].startswith(year))
injured = sum(a["injured"] for a in props(accidents) if a["occurred_on"].startswith(year))

db = sqlite3.connect(register)
by_sex_age = defaultdict(lambda: [0, 0])
for outcome, sex, age in db.execute(
    "SELECT v.outcome, v.sex, v.age FROM victims v JOIN accidents a ON a.id = v.accident_id "
    "WHERE substr(a.occurred_on, 1, 4) = ? AND a.revoked_at IS NULL",
    (year,),
):
    group = "unknown" if age is None else ("child" if age < 18 else "adult")
    by_sex_age[f"{sex}/{group}"][0 if outcome == "KILLED" else 1] += 1

print(json.dumps({
    "released": {d: v for d, v in released.items()},
    "remaining": {d: v for d, v in remaining.items()},
    "areas": sorted(areas),
    "destroyed": dict(destroyed),
    "sessions": held,
    "reach": reach,
    "killed": killed,
    "injured": injured,
    "by_sex_age": by_sex_age,
}))
