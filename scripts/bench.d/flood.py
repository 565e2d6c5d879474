#!/usr/bin/env python3
"""A real officer's scans under a bounded flood, on loopback.

Starts `vaxticket serve` on 127.0.0.1 with a fresh SQLite database and one officer, then
measures the officer's SCANS ticket-text scans, one after another on a keep-alive connection:
once on a quiet server, once while FLOOD clients send requests without a valid token (no token,
a malformed one, a well-formed unknown one) as fast as the server answers, and SLOW
connections send request heads a byte at a time. The flood comes from other loopback addresses
(127.0.1.x, 127.0.2.x), as attackers on the same network would; the officer's from 127.0.0.1.

Reports every answer the officer got (all must be 200 and recorded), p50/p99 latency with and
without the flood, and what the flood got (401, 429, closed connections).
"""
import argparse
import datetime
import http.client
import json
import os
import socket
import statistics
import subprocess
import threading
import time


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def tickets(bin_path, work, env, count, start):
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).date()
    until = today + datetime.timedelta(days=29)
    csv = os.path.join(work, f"tickets{start}.csv")
    with open(csv, "w") as out:
        out.write("registrant,dose,vaccine,site,group,valid_from,valid_until\n")
        for i in range(start, start + count):
            out.write(f"{2108230000000000 + i},1,CORONAVAC,JKT01,GENERAL,{today},{until}\n")
    folder = os.path.join(work, f"texts{start}")
    run([bin_path, "issue", "--csv", csv, "--out-dir", folder, "--format", "text", "--force"], env=env)
    with open(os.path.join(folder, "tickets.txt")) as f:
        return [line.strip() for line in f if line.strip()]


def officer_scans(port, token, texts):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=("127.0.0.1", 0))
    latencies, outcomes = [], []
    for text in texts:
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/scans", body=text.encode(),
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"})
            response = conn.getresponse()
            body = response.read()
            outcome = json.loads(body).get("outcome") if response.status == 200 else f"http {response.status}"
        except Exception as error:  # a lost answer is a result, reported as such
            outcome = f"error {type(error).__name__}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies.append(time.perf_counter() - start)
        outcomes.append(outcome)
    conn.close()
    return latencies, outcomes


def flooder(port, source, stop, counts, lock):
    tokens = [None, "garbage", "vt_" + "A" * 43]
    n = 0
    while not stop.is_set():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
            for _ in range(20):
                if stop.is_set():
                    break
                token = tokens[n % 3]
                n += 1
                headers = {"Content-Type": "text/plain"}
                if token:
                    headers["Authorization"] = f"Bearer {token}"
                conn.request("POST", "/api/v1/scans", body=b"VT1:x", headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    counts[response.status] = counts.get(response.status, 0) + 1
            conn.close()
        except Exception:
            with lock:
                counts["closed"] = counts.get("closed", 0) + 1


def slow_client(port, source, stop, counts, lock):
    head = b"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(source, 0))
            for byte in head:
                if stop.is_set():
                    break
                s.send(bytes([byte]))
                time.sleep(1)
            s.close()
        except Exception:
            with lock:
                counts["slow closed"] = counts.get("slow closed", 0) + 1
            time.sleep(0.5)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--flood", type=int, default=200)
    parser.add_argument("--slow", type=int, default=120)
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    env = dict(os.environ, VAXTICKET_KEYRING=os.path.join(args.work, "keyring.json"),
               VAXTICKET_DB=os.path.join(args.work, "flood.sqlite"))
    for path in (env["VAXTICKET_KEYRING"], env["VAXTICKET_DB"]):
        if os.path.exists(path):
            os.remove(path)
    run([args.bin, "keys", "new"], env=env)
    token = run([args.bin, "officers", "add", "OFFICER"], env=env).stdout.strip().splitlines()[-1]
    quiet_texts = tickets(args.bin, args.work, env, args.scans, 1)
    flood_texts = tickets(args.bin, args.work, env, args.scans, 100000)
    server = subprocess.Popen([args.bin, "serve", "--port", "0", "--rate-limit", "0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        port = int(line.rsplit(":", 1)[1].strip("/\n"))
        quiet, quiet_outcomes = officer_scans(port, token, quiet_texts)
        stop, lock, counts = threading.Event(), threading.Lock(), {}
        threads = [threading.Thread(target=flooder, args=(port, f"127.0.1.{1 + i % 50}", stop, counts, lock), daemon=True)
                   for i in range(args.flood)]
        threads += [threading.Thread(target=slow_client, args=(port, f"127.0.2.{1 + i % 4}", stop, counts, lock), daemon=True)
                    for i in range(args.slow)]
        for t in threads:
            t.start()
        time.sleep(3)  # let the flood build up
        flooded, flooded_outcomes = officer_scans(port, token, flood_texts)
        stop.set()
        for t in threads:
            t.join(timeout=15)
        health = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        health.request("GET", "/healthz")
        healthy = health.getresponse().status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "scans": args.scans, "flood_clients": args.flood, "slow_connections": args.slow,
        "quiet": {"p50_ms": 1000 * statistics.median(quiet), "p99_ms": 1000 * percentile(quiet, 99),
                  "recorded": quiet_outcomes.count("recorded"), "answers": len(quiet_outcomes)},
        "flood": {"p50_ms": 1000 * statistics.median(flooded), "p99_ms": 1000 * percentile(flooded, 99),
                  "recorded": flooded_outcomes.count("recorded"), "answers": len(flooded_outcomes),
                  "other": sorted(set(o for o in flooded_outcomes if o != "recorded"))},
        "flood_answers": {str(k): v for k, v in sorted(counts.items(), key=str)},
        "healthy_after": healthy,
    }
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    ok = result["quiet"]["recorded"] == args.scans and result["flood"]["recorded"] == args.scans
    with open(args.markdown, "w") as f:
        f.write(f"""# A real officer under a flood (issue 20)

`scripts/bench --only server` runs `scripts/bench.d/flood.py`: a release `vaxticket serve` on
loopback with a fresh SQLite database; one officer sends {args.scans} ticket texts one after
another from 127.0.0.1, first on a quiet server, then while {args.flood} clients without a valid
token (from 50 other loopback addresses) send requests as fast as they are answered and
{args.slow} slow connections (from 4 addresses) send request heads a byte a second.

| | quiet | under the flood |
|---|---|---|
| officer's scans answered | {result['quiet']['answers']} | {result['flood']['answers']} |
| recorded | {result['quiet']['recorded']} | {result['flood']['recorded']} |
| p50 latency | {result['quiet']['p50_ms']:.1f} ms | {result['flood']['p50_ms']:.1f} ms |
| p99 latency | {result['quiet']['p99_ms']:.1f} ms | {result['flood']['p99_ms']:.1f} ms |

What the flood got: {', '.join(f'{k}: {v}' for k, v in result['flood_answers'].items())}.
The server answered /healthz after the flood: {'yes' if healthy else 'no'}.
Every scan of the officer recorded, with and without the flood: {'yes' if ok else 'no'}.
""")
    print(json.dumps(result))
    return 0 if ok and healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
