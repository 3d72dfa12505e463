"""Fetches every tile of a list (z x y per line) of LAYER from a running safeground; prints bytes."""
import sys
import urllib.request

base, layer, listing = sys.argv[1:4]
total = 0
with open(listing) as f:
    for line in f:
        z, x, y = line.split()
        total += len(urllib.request.urlopen(f"{base}/tiles/{layer}/{z}/{x}/{y}.mvt").read())
print(f"{total} bytes of tiles")
