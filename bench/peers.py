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


def page_plan(hazards_path, plan_path, sql_path):
    """The filtered pages of the hazard table both sides are asked for:
    each district with hazards, open or worked on, most ground remaining
    first, a page of 50 — the second where the filter holds more than a
    page (the register view's next page on a busy filter). Writes the plan
    (JSON) and the same queries as SQL for PostGIS."""
    import collections
    import json
    counts = collections.Counter(
        (f["properties"]["district"], f["properties"]["status"]) for f in features(hazards_path)
        if f["properties"].get("district"))
    districts = sorted({d for d, _ in counts})
    plan = [{"district": d, "status": s, "page": 2 if counts[(d, s)] > 50 else 1}
            for d in districts[:12] for s in ("OPEN", "WORKED_ON")]
    json.dump(plan, open(plan_path, "w"))
    with open(sql_path, "w") as out:
        for p in plan:
            d = p["district"].replace("'", "''")
            out.write(
                "SELECT code, name, status, district, area_remaining_m2, count(*) OVER () FROM hazards "
                f"WHERE district = '{d}' AND status = '{p['status']}' "
                f"ORDER BY area_remaining_m2 DESC, code LIMIT 50 OFFSET {50 * (p['page'] - 1)};\n"
            )


def pages(base, plan_path, rounds):
    """Asks the API for every page of the plan `rounds` times, timing each
    answer; prints the pages' rows, then the median, 95th percentile and
    slowest answer in milliseconds."""
    import json
    import time
    import urllib.parse
    import urllib.request
    plan = json.load(open(plan_path))
    times, rows = [], 0
    for _ in range(int(rounds)):
        for p in plan:
            q = urllib.parse.urlencode({"district": p["district"], "status": p["status"], "sort": "remaining",
                                        "page": p["page"], "per_page": 50})
            t0 = time.perf_counter()
            with urllib.request.urlopen(f"{base}/api/hazards?{q}") as r:
                body = json.load(r)
            times.append((time.perf_counter() - t0) * 1000)
            rows += len(body["items"])
    times.sort()
    pick = lambda f: times[min(len(times) - 1, int(f * len(times)))]
    print(f"{len(times)} pages, {rows} rows; ms per page: median {pick(0.5):.1f}, p95 {pick(0.95):.1f}, slowest {times[-1]:.1f}")


if __name__ == "__main__":
    import shapely.ops  # noqa: F401  (nearest_points)

    {"accounting": accounting, "proximity": proximity, "tiles-list": tiles_list, "page-plan": page_plan,
     "pages": pages}[sys.argv[1]](*sys.argv[2:])
