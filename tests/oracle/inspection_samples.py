#!/usr/bin/env python3
"""Independent oracle for quality-control samples, with GDAL/OGR (GEOS)
reading the register's GeoPackage as any GIS would and GeographicLib's
Python port measuring on the ellipsoid.

    /usr/bin/python3 tests/oracle/inspection_samples.py DB.gpkg

For every inspection in force with a sample: the sample's geodesic area
equals its sample_m2; for a QC, the released areas it names (table
inspection_areas) measure inspected_m2 together, and GEOS finds the sample
within them. Prints {"samples": N, "qc": N, "failed": N, "items": N} and
exits 1 naming each disagreement.
"""
import json
import sys

from geographiclib.geodesic import Geodesic
from osgeo import ogr

ogr.UseExceptions()


def ring_area(ring):
    p = Geodesic.WGS84.Polygon()
    for i in range(ring.GetPointCount() - 1):
        p.AddPoint(ring.GetY(i), ring.GetX(i))
    return abs(p.Compute(False, True)[2])


def area(g):
    """A (multi)polygon's geodesic area: outer rings less holes."""
    total = 0.0
    polygons = [g.GetGeometryRef(i) for i in range(g.GetGeometryCount())] \
        if g.GetGeometryType() in (ogr.wkbMultiPolygon, ogr.wkbMultiPolygon25D) else [g]
    for poly in polygons:
        for k in range(poly.GetGeometryCount()):
            a = ring_area(poly.GetGeometryRef(k))
            total += a if k == 0 else -a
    return total


def main(db):
    ds = ogr.Open(db)
    released = {}
    lyr = ds.ExecuteSQL("SELECT id, geom FROM released_areas")
    for f in lyr:
        released[f.GetField("id")] = f.GetGeometryRef().Clone()
    ds.ReleaseResultSet(lyr)
    named = {}
    lyr = ds.GetLayerByName("inspection_areas")
    for f in lyr:
        named.setdefault(f.GetField("inspection_id"), []).append(f.GetField("released_area_id"))
    problems, counts = [], {"samples": 0, "qc": 0, "failed": 0, "items": 0}
    lyr = ds.ExecuteSQL("SELECT * FROM inspections WHERE revoked_at IS NULL")
    for f in lyr:
        iid, g = f.GetField("id"), f.GetGeometryRef()
        if f.GetField("result") == "FAIL":
            counts["failed"] += 1
        counts["items"] += f.GetField("items_found")
        if g is None:
            continue
        counts["samples"] += 1
        measured = area(g)
        if abs(measured - f.GetField("sample_m2")) > 1e-6 * measured + 1e-6:
            problems.append(f"inspection {iid}: sample {measured} m² by GeographicLib, {f.GetField('sample_m2')} recorded")
        if f.GetField("kind") != "QC":
            continue
        counts["qc"] += 1
        pieces = [released[a] for a in named.get(iid, [])]
        if not pieces:
            problems.append(f"inspection {iid}: a QC sample with no released area named")
            continue
        ground = sum(area(p) for p in pieces)
        if abs(ground - f.GetField("inspected_m2")) > 1e-6 * ground:
            problems.append(f"inspection {iid}: ground {ground} m² by GeographicLib, {f.GetField('inspected_m2')} recorded")
        union = pieces[0]
        for p in pieces[1:]:
            union = union.Union(p)
        if not g.Within(union.Buffer(1e-9)):
            problems.append(f"inspection {iid}: GEOS finds the sample outside the released areas it names")
    ds.ReleaseResultSet(lyr)
    print(json.dumps(counts))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
