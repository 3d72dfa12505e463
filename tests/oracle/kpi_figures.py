"""Recomputes the land-release indicators of a period by organisation from
the register's tables (sqlite3, SQL written here, not safeground's), for
tests/kpi.rs to compare.

usage: kpi_figures.py REGISTER.gpkg FROM TO"""
import json
import sqlite3
import sys
from collections import defaultdict

db = sqlite3.connect(sys.argv[1])
start, end = sys.argv[2], sys.argv[3]
live = "revoked_at IS NULL"
g = defaultdict(lambda: {"cancelled_m2": 0.0, "reduced_m2": 0.0, "cleared_m2": 0.0, "items_found": 0,
                         "cleared_without": 0.0, "tasks_completed": 0})
finding = {r[0] for r in db.execute(f"SELECT DISTINCT activity_id FROM eo_finds WHERE activity_id IS NOT NULL AND {live}")}
for org, outcome, area, activity in db.execute(
        f"SELECT o.acronym, r.outcome, r.area_m2, r.activity_id FROM released_areas r "
        f"JOIN organisations o ON o.id = r.organisation_id "
        f"WHERE r.released_on BETWEEN ? AND ? AND r.{live}", (start, end)):
    g[org][outcome.lower() + "_m2"] += area
    if outcome == "CLEARED" and activity not in finding:
        g[org]["cleared_without"] += area
for org, qty in db.execute(
        f"SELECT coalesce(oa.acronym, orep.acronym), f.quantity FROM eo_finds f "
        f"LEFT JOIN activities a ON a.id = f.activity_id LEFT JOIN organisations oa ON oa.id = a.organisation_id "
        f"LEFT JOIN reports rep ON rep.id = f.report_id LEFT JOIN organisations orep ON orep.id = rep.organisation_id "
        f"WHERE f.found_on BETWEEN ? AND ? AND f.{live}", (start, end)):
    g[org]["items_found"] += qty
for (org,) in db.execute(
        f"SELECT o.acronym FROM tasks t JOIN organisations o ON o.id = t.organisation_id "
        f"JOIN activities a ON a.task_id = t.id WHERE t.status = 'COMPLETED' AND a.{live} "
        f"GROUP BY t.id HAVING max(a.end_date) BETWEEN ? AND ?", (start, end)):
    g[org]["tasks_completed"] += 1
print(json.dumps(g))
