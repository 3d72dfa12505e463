#!/usr/bin/env python3
"""Independent check of `safeground overlaps --json`: every pair of hazards
whose polygons share ground, found by brute force with GDAL/OGR (GEOS) and
measured with Python GeographicLib.

    /usr/bin/python3 tests/oracle/check_overlaps.py DB.gpkg OVERLAPS.json
"""
import json
import sys

from osgeo import ogr

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from check_summary import area  # noqa: E402  (GeographicLib area of an OGR geometry)

ogr.UseExceptions()

# GEOS overlays in longitude/latitude, safeground in a gnomonic plane that
# follows the geodesics: shared areas agree to 1e-5 relative, plus 1 m² for the
# sliver an edge bows by.
REL = 1e-5
ABS = 1.0
# Below this, a pair is overlay noise along a common edge for either tool.
MIN = 1.0


def main(db, got_path):
    got = {(o["a"], o["b"]): o["overlap_m2"] for o in json.load(open(got_path))}
    ds = ogr.Open(db)
    hazards = [(f.GetField("code"), f.GetGeometryRef().Clone()) for f in ds.GetLayerByName("hazards")]
    hazards.sort(key=lambda h: h[0])
    want = {}
    for i in range(len(hazards)):
        ci, gi = hazards[i]
        ei = gi.GetEnvelope()
        for j in range(i + 1, len(hazards)):
            cj, gj = hazards[j]
            ej = gj.GetEnvelope()
            if ej[0] > ei[1] or ej[1] < ei[0] or ej[2] > ei[3] or ej[3] < ei[2]:
                continue
            if not gi.Intersects(gj):
                continue
            a = area(gi.Intersection(gj))
            if a > MIN:
                want[(ci, cj)] = a
    for pair, a in want.items():
        if pair not in got:
            sys.exit(f"{pair[0]} and {pair[1]} share {a:.2f} m² (GEOS + GeographicLib) but safeground does not list them")
        if abs(got[pair] - a) > REL * a + ABS:
            sys.exit(f"{pair}: safeground {got[pair]} m², GEOS + GeographicLib {a} m²")
    for pair, a in got.items():
        if pair not in want and a > MIN + ABS:
            sys.exit(f"safeground lists {pair} sharing {a} m², GEOS finds no such overlap")
    print(json.dumps({"pairs": len(want)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
