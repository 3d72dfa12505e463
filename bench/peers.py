"""The shapely 2 / GEOS peers of bench/run.sh, on the same GeoJSON files.

  python3 peers.py accounting hazards.geojson released_areas.geojson
  python3 peers.py proximity hazards.geojson settlements.geojson METRES
  python3 peers.py tiles-list Z0 Z1 W S E N      (prints the fixed tile set, z x y per line)

Each prints one line: what it computed (to compare with ours), so that the
timing covers reading, indexing and computing, as ours does.
"""
import json
import math
import sys
from collections import defaultdict


def features(path):
    with open(path) as f:
        return json.load(f)["features"]


def accounting(hazards_path, released_path):
    """The four land-release figures, as `safeground verify` and the PostGIS
    row compute them: each outcome's released polygons unioned and clipped
    to the hazard, and the hazard less all of them."""
    import shapely
    from pyproj import Geod
    from shapely.geometry import shape

    geod = Geod(ellps="WGS84")
    released = defaultdict(lambda: defaultdict(list))
    for f in features(released_path):
        p = f["properties"]
        released[p["hazard"]][p["outcome"]].append(shape(f["geometry"]))
    area = lambda g: abs(geod.geometry_area_perimeter(g)[0])
    totals = defaultdict(float)
    n = 0
    for f in features(hazards_path):
        h = shape(f["geometry"])
        totals["recorded"] += area(h)
        unions = {o: shapely.union_all(gs) for o, gs in released.get(f["properties"]["code"], {}).items()}
        for outcome, u in unions.items():
            totals[outcome] += area(shapely.intersection(h, u))
        rest = shapely.difference(h, shapely.union_all(list(unions.values()))) if unions else h
        totals["remaining"] += area(rest)
        n += 1
    km2 = lambda k: totals[k] / 1e6
    print(f"{n} hazards, km2 recorded {km2('recorded'):.6f} cancelled {km2('CANCELLED'):.6f}"
          f" reduced {km2('REDUCED'):.6f} cleared {km2('CLEARED'):.6f} remain {km2('remaining'):.6f}")


def proximity(hazards_path, settlements_path, metres):
    import shapely
    from pyproj import Geod
    from shapely.geometry import shape

    geod = Geod(ellps="WGS84")
    metres = float(metres)
    hz = [shape(f["geometry"]) for f in features(hazards_path)]
    tree = shapely.STRtree(hz)
    pairs = 0
    for f in features(settlements_path):
        p = shape(f["geometry"])
        # A box in degrees that holds the distance, then the geodesic test on the nearest point.
        dlat = metres / 111_000.0
        dlon = dlat / max(0.1, math.cos(math.radians(p.y)))
        for i in tree.query(shapely.box(p.x - dlon, p.y - dlat, p.x + dlon, p.y + dlat)):
            h = hz[i]
            if h.contains(p):
                pairs += 1
                continue
            q = shapely.ops.nearest_points(h.boundary, p)[0]
            _, _, d = geod.inv(p.x, p.y, q.x, q.y)
            if d <= metres:
                pairs += 1
    print(f"{pairs} settlement-hazard pairs within {metres:g} m")


def tile_of(lon, lat, z):
    n = 2 ** z
    la = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.log(math.tan(la) + 1 / math.cos(la)) / math.pi) / 2 * n)


def tiles_list(z0, z1, w, s, e, n):
    for z in range(int(z0), int(z1) + 1):
        x0, y0 = tile_of(float(w), float(n), z)
        x1, y1 = tile_of(float(e), float(s), z)
        coords = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        step = max(1, len(coords) // 30)
        for x, y in coords[::step][:30]:
            print(z, x, y)


if __name__ == "__main__":
    import shapely.ops  # noqa: F401  (nearest_points)

    {"accounting": accounting, "proximity": proximity, "tiles-list": tiles_list}[sys.argv[1]](*sys.argv[2:])
