"""Recomputes a treaty report's figures from the register's exported layers
(as of 31 December of the year and of the year before), independently of
safeground's treaty code, and prints them as JSON for the test to compare.

usage: treaty_figures.py SCOPE YEAR REGISTER.gpkg LAYER_BEFORE LAYER_AFTER ... for hazards, eo_finds,
       eore_sessions, accidents
SCOPE is AP (APMBC) or CMR (CCM); each layer is a pair of GeoJSON exports, as
of the end of the year before and of the year. What the year recorded is what
the second holds and the first does not (by id). The register is read with
sqlite3 for the victims (no layer carries their sex and age)."""
import json
import sqlite3
import sys
from collections import defaultdict

scope, year, register = sys.argv[1], sys.argv[2], sys.argv[3]
layers = [json.load(open(p))["features"] for p in sys.argv[4:12]]
before, after = layers[0], layers[1]


def new_in_year(pair):
    was = {f["properties"]["id"] for f in pair[0]}
    return [f for f in pair[1] if f["properties"]["id"] not in was]


finds, sessions, accidents = new_in_year(layers[2:4]), new_in_year(layers[4:6]), new_in_year(layers[6:8])


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
    if f["category"] == scope and f["disposal"] != "HANDED_OVER":
        destroyed[f["eo_type"]] += f["quantity"]

reach = {"girls": 0, "boys": 0, "women": 0, "men": 0}
with_disability = {"girls": 0, "boys": 0, "women": 0, "men": 0}
held = 0
counting_disability = 0
for s in props(sessions):
    held += 1
    for k in reach:
        reach[k] += s[k]
    if s.get("girls_disabled") is not None:
        counting_disability += 1
        for k in with_disability:
            with_disability[k] += s[k + "_disabled"]

killed = sum(a["killed"] for a in props(accidents))
injured = sum(a["injured"] for a in props(accidents))

db = sqlite3.connect(register)
by_sex_age = defaultdict(lambda: [0, 0])
by_disability = defaultdict(lambda: [0, 0])
assisted = 0
end = f"{int(year) + 1}-01-01T00:00:00Z"
for vid, outcome, sex, age, disability, assistance in db.execute(
    "SELECT v.id, v.outcome, v.sex, v.age, v.disability, v.assistance FROM victims v "
    "JOIN accidents a ON a.id = v.accident_id "
    "WHERE a.recorded_at >= ? AND a.recorded_at < ? AND a.revoked_at IS NULL",
    (f"{year}-01-01T00:00:00Z", end),
):
    group = "unknown" if age is None else ("child" if age < 18 else "adult")
    by_sex_age[f"{sex}/{group}"][0 if outcome == "KILLED" else 1] += 1
    by_disability[disability or "NOT_RECORDED"][0 if outcome == "KILLED" else 1] += 1
    followed = db.execute(
        "SELECT count(*) FROM assistance WHERE victim_id = ? AND recorded_at < ?", (vid, end)
    ).fetchone()[0]
    if (assistance or "").strip() or followed:
        assisted += 1

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
    "by_disability": by_disability,
    "assisted": assisted,
    "with_disability": with_disability,
    "counting_disability": counting_disability,
}))
