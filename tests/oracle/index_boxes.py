"""Every row of a GeoPackage feature table against its spatial index, by an
oracle that shares nothing with safeground: the row's extent is read from its
geometry's own WKB (GeoPackage 1.3, clause 2.1.3: the "GP" header, then
ISO WKB), not from the header's envelope nor from any ST_ function, and the
index's box must be exactly that extent as SQLite's R*Tree stores it: each
corner the nearest float32, or where that lies inside the extent, the corner
scaled outward by one part in 2^23 and then rounded (rtreeValueDown and
rtreeValueUp in SQLite's rtree.c).

usage: index_boxes.py REGISTER TABLE INDEX
prints `rows N empty E indexed M` and exits non-zero naming the first row
whose box is missing, extra or not its geometry's.
"""

import sqlite3
import struct
import sys


def wkb_points(b, o):
    """The coordinates (x, y) of the WKB geometry at offset o, and the offset after it."""
    little = b[o] == 1
    e = "<" if little else ">"
    (t,) = struct.unpack_from(e + "I", b, o + 1)
    o += 5
    # ISO WKB: 1000s add Z, 2000s M, 3000s both.
    dims = 2 + (1 if t // 1000 in (1, 3) else 0) + (1 if t // 1000 in (2, 3) else 0)
    kind = t % 1000
    pts = []

    def coords(o, n):
        for _ in range(n):
            x, y = struct.unpack_from(e + "dd", b, o)
            pts.append((x, y))
            o += 8 * dims
        return o

    if kind == 1:
        o = coords(o, 1)
    elif kind == 2:
        (n,) = struct.unpack_from(e + "I", b, o)
        o = coords(o + 4, n)
    elif kind == 3:
        (rings,) = struct.unpack_from(e + "I", b, o)
        o += 4
        for _ in range(rings):
            (n,) = struct.unpack_from(e + "I", b, o)
            o = coords(o + 4, n)
    elif kind in (4, 5, 6, 7):
        (parts,) = struct.unpack_from(e + "I", b, o)
        o += 4
        for _ in range(parts):
            sub, o = wkb_points(b, o)
            pts.extend(sub)
    else:
        raise ValueError(f"WKB type {t}")
    return pts, o


def extent(blob):
    """(minx, maxx, miny, maxy) of a GeoPackage geometry blob; None when empty."""
    if blob is None:
        return None
    b = bytes(blob)
    if b[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    flags = b[3]
    if flags & 0x10:
        return None
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 7]
    pts, _ = wkb_points(b, 8 + envelope)
    pts = [p for p in pts if p[0] == p[0] and p[1] == p[1]]  # NaN: an empty point
    if not pts:
        return None
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), max(xs), min(ys), max(ys)


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def down(v):
    """A box's lower corner as R*Tree stores v (rtreeValueDown)."""
    f = f32(v)
    if f <= v:
        return f
    return f32(v * (1.0 + 2.0**-23 if v < 0 else 1.0 - 2.0**-23))


def up(v):
    """A box's upper corner as R*Tree stores v (rtreeValueUp)."""
    f = f32(v)
    if f >= v:
        return f
    return f32(v * (1.0 - 2.0**-23 if v < 0 else 1.0 + 2.0**-23))


def main():
    db, table, index = sys.argv[1:4]
    c = sqlite3.connect(db)
    boxes = {r[0]: r[1:] for r in c.execute(f"SELECT id, minx, maxx, miny, maxy FROM {index}")}
    rows = 0
    empty = 0
    indexed = len(boxes)
    for fid, geom in c.execute(f"SELECT fid, geom FROM {table} ORDER BY fid"):
        rows += 1
        e = extent(geom)
        got = boxes.pop(fid, None)
        if e is None:
            empty += 1
            if got is not None:
                sys.exit(f"{table} fid {fid}: an empty geometry has a box in {index}")
            continue
        if got is None:
            sys.exit(f"{table} fid {fid}: not in {index}")
        want = (down(e[0]), up(e[1]), down(e[2]), up(e[3]))
        if tuple(got) != want:
            sys.exit(f"{table} fid {fid}: {index} holds {got}, its geometry's box is {want}")
    if boxes:
        sys.exit(f"{index}: {len(boxes)} boxes of no row of {table}, e.g. id {next(iter(boxes))}")
    print("rows", rows, "empty", empty, "indexed", indexed)


if __name__ == "__main__":
    main()
