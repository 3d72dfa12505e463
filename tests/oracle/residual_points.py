#!/usr/bin/env python3
"""Independent oracle for residual contamination, with GDAL/OGR (GEOS) reading
the register's GeoPackage as any GIS would.

    /usr/bin/python3 tests/oracle/residual_points.py pick DB.gpkg
        A point strictly inside exactly one piece of released ground in force
        (GEOS PointOnSurface), with that piece's id, hazard and release day;
        and a point inside an open hazard that lies in no released ground.

    /usr/bin/python3 tests/oracle/residual_points.py check DB.gpkg
        Every residual-risk record in force, with whether GEOS finds its point
        strictly inside the released area it names, and that area's release day.
"""
import json
import sys

from osgeo import ogr

ogr.UseExceptions()


def day(f, name):
    """A date field as ISO 8601 (OGR writes YYYY/MM/DD)."""
    v = f.GetField(name)
    return v.replace("/", "-") if v else v


def in_force(ds, layer):
    return ds.ExecuteSQL(f"SELECT * FROM {layer} WHERE revoked_at IS NULL")


def released(ds):
    rows = []
    lyr = in_force(ds, "released_areas")
    for f in lyr:
        rows.append((f.GetField("id"), f.GetField("hazard_id"), day(f, "released_on"),
                     f.GetField("outcome"), f.GetGeometryRef().Clone()))
    ds.ReleaseResultSet(lyr)
    return rows


def pick(db):
    ds = ogr.Open(db)
    areas = released(ds)
    inside = None
    for (aid, hazard, day, outcome, g) in areas:
        if outcome != "CLEARED":
            continue
        p = g.PointOnSurface()
        holders = [a for a in areas if a[4].Contains(p)]
        if len(holders) == 1 and g.Distance(p) == 0 and g.Boundary().Distance(p) > 1e-6:
            inside = {"id": aid, "hazard_id": hazard, "released_on": day, "lon": p.GetX(), "lat": p.GetY()}
            break
    outside = None
    hz = ds.ExecuteSQL("SELECT * FROM hazards WHERE status = 'OPEN' AND revoked_at IS NULL")
    for f in hz:
        p = f.GetGeometryRef().PointOnSurface()
        if not any(a[4].Intersects(p.Buffer(0.001)) for a in areas):
            outside = {"code": f.GetField("code"), "lon": p.GetX(), "lat": p.GetY()}
            break
    ds.ReleaseResultSet(hz)
    print(json.dumps({"inside": inside, "outside": outside}))


def check(db):
    ds = ogr.Open(db)
    areas = {a[0]: a for a in released(ds)}
    out = []
    lyr = in_force(ds, "residuals")
    for f in lyr:
        a = areas.get(f.GetField("released_area_id"))
        p = f.GetGeometryRef()
        out.append({
            "id": f.GetField("id"),
            "found_on": day(f, "found_on"),
            "released_on": a[2] if a else None,
            "strictly_inside": bool(a) and a[4].Contains(p),
        })
    ds.ReleaseResultSet(lyr)
    print(json.dumps(out))


if __name__ == "__main__":
    {"pick": pick, "check": check}[sys.argv[1]](sys.argv[2])
