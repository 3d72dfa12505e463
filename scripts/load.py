#!/usr/bin/env python3
"""A load generator for a safeground cluster (scripts/cluster-test.sh, bench).

Clients, each on its own kept-alive connection and session, run the mix an
authority's day has: map tiles, the summary, hazard pages, and field reports
submitted by operators and approved by IM officers. Some approvals are sent
twice at once by two officers, as happens when two people work one queue: one
must win and the other be refused (409), never both. Standard library only.

With --mix tiles every client is a map reader and asks only for tiles, at
zooms 8 to 14 around random points of the register's extent (/api/extent):
the figure of a public map on the national register, mostly cache misses.

  python3 scripts/load.py --url http://127.0.0.1:8080 --clients 200 --seconds 60 \
      --password PW --out results.json

Writes a JSON summary: requests, per-second rate, p50/p99 latency by kind,
statuses, transport errors, 5xx (with their times), and every report whose
approval was answered 200 (the caller checks them against the register).
"""
import argparse, http.client, json, math, random, threading, time, urllib.parse
from collections import defaultdict

AGDAM = (46.63, 39.79, 47.23, 40.19)

def tiles(rng, area=AGDAM, zooms=(9, 13)):
    """A tile of one of the map's layers at a random point of `area` (west, south, east, north):
    by default around Ağdam, where the scale-30 demo's hazards are."""
    z = rng.randint(*zooms)
    lon, lat = rng.uniform(area[0], area[2]), rng.uniform(area[1], area[3])
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    layer = rng.choice(["hazards", "released_areas", "eo_finds", "districts"])
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"

class Client:
    def __init__(self, url, name, password, timeout):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.name, self.password, self.timeout = name, password, timeout
        self.conn, self.cookie, self.csrf = None, None, None

    def send(self, method, path, body=None):
        """(status, body bytes, headers) or raises on a transport error (after one reconnect)."""
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if method != "GET":
            headers["Content-Type"] = "application/json"
            if self.csrf:
                headers["X-CSRF-Token"] = self.csrf
        data = json.dumps(body).encode() if body is not None else (b"" if method != "GET" else None)
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.conn.request(method, path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close(); self.conn = None
                return r.status, payload, r
            except (ConnectionError, http.client.HTTPException, OSError):
                if self.conn:
                    self.conn.close()
                self.conn = None
                # A connection the server closed while idle is opened again
                # once; a GET is safe to send again, a change is not.
                if attempt == 1 or method != "GET":
                    raise

    def login(self):
        """Signs in, waiting as long as the throttling asks (attempts at once are held off)."""
        for _ in range(30):
            status, payload, r = self.send("POST", "/api/login", {"name": self.name, "password": self.password})
            if status == 429:
                time.sleep(float(r.getheader("Retry-After", "1")))
                continue
            if status != 200:
                raise RuntimeError(f"{self.name} cannot sign in: {status} {payload[:200]!r}")
            self.cookie = r.getheader("Set-Cookie").split(";")[0]
            self.csrf = json.loads(payload)["csrf"]
            return self
        raise RuntimeError(f"{self.name} was held off signing in")

    def same_session(self, other):
        """Works in `other`'s session (a person with many tabs open), on a connection of its own."""
        self.cookie, self.csrf = other.cookie, other.csrf
        return self

def percentile(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def main():
    a = argparse.ArgumentParser()
    a.add_argument("--url", required=True)
    a.add_argument("--clients", type=int, default=200)
    a.add_argument("--seconds", type=float, default=60)
    a.add_argument("--password", required=True)
    a.add_argument("--readers", default="viewer", help="account of the reading clients")
    a.add_argument("--operators", default="operator", help="account of the submitting clients")
    a.add_argument("--officers", default="imo", help="account of the approving clients")
    a.add_argument("--organisation", default="AEST")
    a.add_argument("--timeout", type=float, default=30)
    a.add_argument("--mix", choices=["day", "tiles"], default="day",
                   help="day: the authority's mix; tiles: map tiles only, over the register's extent")
    a.add_argument("--out", required=True)
    args = a.parse_args()

    lock = threading.Lock()
    latencies = defaultdict(list)
    statuses = defaultdict(lambda: defaultdict(int))
    errors = defaultdict(int)
    server_errors = []
    approved = defaultdict(int)      # report id -> approvals answered 200
    refused_twice = [0]              # second approvals refused (409)
    queue, queue_lock = [], threading.Lock()
    hazards = []
    started = time.time()
    deadline = started + args.seconds
    rng0 = random.Random(7)

    client_failures = []

    def guarded(work):
        """A client that fails unexpectedly is a finding, not a thinner load."""
        def run(i):
            try:
                work(i)
            except Exception as e:  # noqa: BLE001
                with lock:
                    client_failures.append(f"{work.__name__} {i}: {type(e).__name__}: {e}")
        return run

    def record(kind, status, seconds):
        with lock:
            latencies[kind].append(seconds)
            statuses[kind][status] += 1
            if status >= 500:
                server_errors.append({"kind": kind, "status": status, "at": round(time.time() - started, 2)})

    def timed(c, kind, method, path, body=None):
        t = time.perf_counter()
        try:
            status, payload, _ = c.send(method, path, body)
        except Exception as e:  # noqa: BLE001 - a transport error is a result here
            with lock:
                errors[kind] += 1
                server_errors.append({"kind": kind, "status": "transport", "error": type(e).__name__,
                                      "at": round(time.time() - started, 2)})
            return None, None
        record(kind, status, time.perf_counter() - t)
        return status, payload

    def reader(i):
        rng = random.Random(i)
        c = Client(args.url, args.readers, args.password, args.timeout).same_session(sessions[i % len(sessions)])
        while time.time() < deadline:
            if args.mix == "tiles":
                status, payload = timed(c, "tile", "GET", tiles(rng, area, (8, 14)))
                if status == 200:
                    with lock:
                        tile_bytes[0] += len(payload)
                continue
            r = rng.random()
            if r < 0.6:
                timed(c, "tile", "GET", tiles(rng))
            elif r < 0.8:
                timed(c, "summary", "GET", "/api/summary")
            else:
                h = rng.choice(hazards) if hazards else None
                if h:
                    timed(c, "hazard", "GET", f"/api/hazards/{h}")

    def operator(i):
        rng = random.Random(1000 + i)
        c = Client(args.url, args.operators, args.password, args.timeout).same_session(operator_session)
        while time.time() < deadline:
            day = "2024-04-%02d" % rng.randint(1, 28)
            lat, lon = 39.95 + rng.uniform(-0.05, 0.05), 46.9 + rng.uniform(-0.05, 0.05)
            report = {"type": "EO_FIND", "organisation": args.organisation, "start_date": day, "end_date": day,
                      "eo_finds": [{"category": "UXO", "type": "82 mm mortar", "condition": "DAMAGED",
                                    "disposal": "DESTROYED_IN_SITU", "location": f"{lat:.6f} {lon:.6f}"}]}
            status, payload = timed(c, "submit", "POST", "/api/reports", report)
            if status == 201:
                rid = json.loads(payload)["id"]
                with queue_lock:
                    queue.append(rid)
                    if rng.random() < 0.25:
                        queue.append(rid)  # two officers take the same report
            time.sleep(rng.uniform(0.05, 0.2))

    def officer(i):
        rng = random.Random(2000 + i)
        c = Client(args.url, args.officers, args.password, args.timeout).same_session(officer_session)
        while time.time() < deadline:
            with queue_lock:
                rid = queue.pop(rng.randrange(len(queue))) if queue else None
            if rid is None:
                time.sleep(0.05)
                continue
            status, _ = timed(c, "approve", "POST", f"/api/reports/{rid}/approve", {})
            with lock:
                if status == 200:
                    approved[rid] += 1
                elif status == 409:
                    refused_twice[0] += 1

    # A few sessions per role, made through the balancer (so on several
    # servers) and used by every client of the role.
    sessions = [Client(args.url, args.readers, args.password, args.timeout).login() for _ in range(4)]
    operator_session = Client(args.url, args.operators, args.password, args.timeout).login()
    officer_session = Client(args.url, args.officers, args.password, args.timeout).login()
    # The hazards the readers open.
    c = sessions[0]
    status, payload, _ = c.send("GET", "/api/hazards?per_page=200")
    if status != 200:
        raise SystemExit(f"cannot list hazards: {status} {payload[:200]!r}")
    hazards.extend(h["code"] for h in json.loads(payload)["items"])
    status, payload, _ = c.send("GET", "/api/extent")
    area = (json.loads(payload).get("hazards") if status == 200 else None) or AGDAM
    tile_bytes = [0]

    if args.mix == "tiles":
        n_officers = n_operators = 0
        n_readers = args.clients
    else:
        n_officers = max(1, args.clients // 20)
        n_operators = max(1, args.clients // 10)
        n_readers = max(1, args.clients - n_officers - n_operators)
    threads = [threading.Thread(target=guarded(reader), args=(i,)) for i in range(n_readers)]
    threads += [threading.Thread(target=guarded(operator), args=(i,)) for i in range(n_operators)]
    threads += [threading.Thread(target=guarded(officer), args=(i,)) for i in range(n_officers)]
    for t in threads:
        t.daemon = True
        t.start()
        time.sleep(0.005)
    for t in threads:
        t.join(args.seconds + args.timeout + 30)
    elapsed = time.time() - started
    stragglers = sum(t.is_alive() for t in threads)
    if stragglers:
        client_failures.append(f"{stragglers} clients still running after the end")
    lock.acquire()  # a straggler may still record: the figures are read under the lock
    total = sum(len(v) for v in latencies.values())
    kinds = {}
    for k, v in latencies.items():
        kinds[k] = {"requests": len(v), "p50_ms": round(1000 * percentile(v, 50), 1),
                    "p99_ms": round(1000 * percentile(v, 99), 1), "statuses": dict(statuses[k])}
    everything = [x for v in latencies.values() for x in v]
    out = {"clients": len(threads), "readers": n_readers, "operators": n_operators, "officers": n_officers,
           "mix": args.mix, "tile_bytes": tile_bytes[0], "area": area,
           "seconds": round(elapsed, 1), "requests": total, "per_second": round(total / elapsed, 1),
           "p50_ms": round(1000 * (percentile(everything, 50) or 0), 1),
           "p99_ms": round(1000 * (percentile(everything, 99) or 0), 1),
           "kinds": kinds, "transport_errors": dict(errors), "server_errors": server_errors,
           "approved": sorted(approved), "approved_twice": sorted(r for r, n in approved.items() if n > 1),
           "second_approvals_refused": refused_twice[0], "unapproved_left": len(queue),
           "client_failures": client_failures}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: out[k] for k in ("clients", "seconds", "requests", "per_second", "p50_ms", "p99_ms")}))

if __name__ == "__main__":
    main()
