#!/usr/bin/env python3
"""Bounded load on the scanning server over loopback.

Starts `vaxticket serve` on 127.0.0.1 (a free port, a fresh database per run), then for each
mode (ticket texts, photographed tickets) runs CLIENTS client processes, each with one
keep-alive connection and its own officer token, for SECONDS seconds. The clients walk a shared
list of tickets so that every ticket is scanned several times by different phones at nearly
the same moment. Reports scans/s, p50/p99 latency, the server's peak memory (VmHWM), and checks
that nothing was lost or doubled: every request answered, exactly one `recorded` per ticket
that was recorded, doses in the database == tickets recorded, scan log rows == answers.

With --postgres URL and --servers N, each mode gets a fresh PostgreSQL database beside the one the
URL names (the password from PGPASSWORD), and N servers share it, clients spread over them: the
city's layout of several scanning servers on one database.
"""
import argparse
import datetime
import http.client
import json
import multiprocessing as mp
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def prepare(bin_path, work, tickets, photos):
    """A keyring, `tickets` ticket texts and `photos` simulated phone photos of other tickets."""
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, VAXTICKET_KEYRING=os.path.join(work, "keyring.json"))
    if not os.path.exists(env["VAXTICKET_KEYRING"]):
        run([bin_path, "keys", "new"], env=env)
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).date()
    until = today + datetime.timedelta(days=29)

    def csv(path, start, count):
        with open(path, "w") as out:
            out.write("registrant,dose,vaccine,site,group,valid_from,valid_until\n")
            for i in range(start, start + count):
                out.write(f"{2108230000000000 + i},1,CORONAVAC,JKT01,GENERAL,{today},{until}\n")

    texts_dir = os.path.join(work, "texts")
    csv(os.path.join(work, "texts.csv"), 1, tickets)
    run([bin_path, "issue", "--csv", os.path.join(work, "texts.csv"), "--out-dir", texts_dir, "--format", "text", "--force"], env=env)
    with open(os.path.join(texts_dir, "tickets.txt")) as f:
        texts = [line.strip() for line in f if line.strip()]

    png_dir = os.path.join(work, "pngs")
    photo_dir = os.path.join(work, "photos")
    csv(os.path.join(work, "photos.csv"), 500000, photos)
    run([bin_path, "issue", "--csv", os.path.join(work, "photos.csv"), "--out-dir", png_dir, "--force"], env=env)
    pngs = sorted(os.path.join(png_dir, f) for f in os.listdir(png_dir) if f.endswith(".png"))
    run([bin_path, "simulate-photo", *pngs, "--out-dir", photo_dir, "--kind", "mixed", "--strength", "0.4", "--seed", "7"], env=env)
    files = sorted(os.path.join(photo_dir, f) for f in os.listdir(photo_dir) if f.endswith(".jpg"))
    images = []
    for path in files:
        with open(path, "rb") as f:
            images.append(f.read())
    return env, texts, images


def client(port, token, mode, items, deadline, counter, lock, results):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    out = []
    errors = 0
    while time.time() < deadline:
        with lock:
            index = counter.value
            counter.value += 1
        item = items[index % len(items)]
        body = item.encode() if mode == "text" else item
        headers = {"Authorization": "Bearer " + token, "Content-Type": "text/plain" if mode == "text" else "image/jpeg"}
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/scans?lot=BENCH&station=LOAD", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - start
            outcome = json.loads(data).get("outcome") if response.status == 200 else None
            out.append((index % len(items), response.status, outcome, elapsed))
        except Exception:
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    results.put((out, errors))


def peak_memory(pid):
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    hwm = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(hwm.group(1)) * 1024 if hwm else None


def cpu_seconds(pid):
    """User and system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_postgres(url, name):
    """A new, empty database called `name` on the server `url` names; its URL."""
    parts = urllib.parse.urlsplit(url)
    run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", f'DROP DATABASE IF EXISTS "{name}"'])
    run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{name}"'])
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def count_rows(db, table):
    if db.startswith("postgres"):
        return int(run(["psql", db, "-Atqc", f"SELECT count(*) FROM {table}"]).stdout.strip())
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def load(bin_path, env, work, mode, items, clients, seconds, workers, postgres=None, servers=1):
    if postgres:
        db = fresh_postgres(postgres, f"vaxticket_load_{mode}")
    else:
        db = os.path.join(work, f"load-{mode}.sqlite")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    env = dict(env, VAXTICKET_DB=db)
    tokens = []
    for i in range(clients):
        out = run([bin_path, "officers", "add", f"LOAD{i:02d}"], env=env).stdout
        tokens.append(out.strip().splitlines()[-1])
    args = [bin_path, "serve", "--port", "0", "--rate-limit", "0", "--queue", "256", "--log-level", "warning"]
    if workers:
        args += ["--workers", str(workers)]
    procs_servers = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=open(os.path.join(work, f"server-{mode}-{n}.log"), "w"), text=True)
        for n in range(servers)
    ]
    try:
        ports = [int(re.search(r":(\d+)/", server.stdout.readline()).group(1)) for server in procs_servers]
        counter = mp.Value("q", 0)
        lock = mp.Lock()
        results = mp.Queue()
        deadline = time.time() + seconds
        procs = [mp.Process(target=client, args=(ports[i % len(ports)], tokens[i], mode, items, deadline, counter, lock, results))
                 for i in range(clients)]
        cpu_before = sum(cpu_seconds(server.pid) for server in procs_servers)
        started = time.time()
        for p in procs:
            p.start()
        answers, errors = [], 0
        for _ in procs:
            out, errs = results.get()
            answers += out
            errors += errs
        for p in procs:
            p.join()
        elapsed = time.time() - started
        server_cpu = sum(cpu_seconds(server.pid) for server in procs_servers) - cpu_before
        peaks = [peak_memory(server.pid) or 0 for server in procs_servers]
        peak = max(peaks) if peaks else None
        sent = counter.value
    finally:
        for server in procs_servers:
            server.send_signal(signal.SIGTERM)
        for server in procs_servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    ok = [a for a in answers if a[1] == 200]
    latencies = sorted(a[3] for a in answers)
    recorded_per_item = {}
    for item, status, outcome, _ in ok:
        if outcome in ("recorded", "recorded_other_site"):
            recorded_per_item[item] = recorded_per_item.get(item, 0) + 1
    doubled = sum(1 for n in recorded_per_item.values() if n > 1)
    doses = count_rows(db, "dose")
    scan_rows = count_rows(db, "scan_log")
    outcomes = {}
    for a in ok:
        outcomes[a[2]] = outcomes.get(a[2], 0) + 1
    statuses = {}
    for a in answers:
        statuses[str(a[1])] = statuses.get(str(a[1]), 0) + 1

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else None

    # Requests still in flight when the deadline passed were counted as sent but their answers
    # came back too: answers + transport errors must equal requests sent.
    return {
        "mode": mode,
        "database": "postgresql" if postgres else "sqlite",
        "servers": servers,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "items": len(items),
        "requests": len(answers),
        "sent": sent,
        "transport_errors": errors,
        "statuses": statuses,
        "outcomes": outcomes,
        "scans_per_s": round(len(ok) / elapsed, 1),
        "recorded_per_s": round(sum(recorded_per_item.values()) / elapsed, 1),
        "server_cpu_ms_per_scan": round(1000 * server_cpu / max(1, len(answers)), 2),
        "p50_ms": round(pct(0.50), 1),
        "p99_ms": round(pct(0.99), 1),
        "peak_rss_mb": round(peak / 1024 / 1024, 1) if peak else None,
        "tickets_recorded": len(recorded_per_item),
        "tickets_recorded_twice": doubled,
        "doses_in_db": doses,
        "scan_log_rows": scan_rows,
        "lost": len(ok) - scan_rows,
        "unanswered": sent - len(answers) - errors,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--postgres", help="a postgres:// URL: run against fresh databases on that server")
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--baseline", help="an earlier vaxticket build, loaded the same way just before this one")
    args = parser.parse_args()
    # The tickets come from the baseline build when there is one: a newer build reads an older
    # keyring, not always the other way round.
    env, texts, images = prepare(args.baseline or args.bin, args.work, args.tickets, args.photos)
    builds = ([("before", args.baseline)] if args.baseline else []) + [("this build", args.bin)]
    runs = []
    for mode, items in (("text", texts), ("photo", images)):
        for build, binary in builds:
            run_ = load(binary, env, args.work, mode, items, args.clients, args.seconds, args.workers, args.postgres,
                        args.servers)
            run_["build"] = build
            runs.append(run_)
    with open(args.json, "w") as f:
        json.dump(runs, f, indent=2)
    cores = os.cpu_count()
    lines = [
        "# Scanning server under load",
        "",
        f"`scripts/bench --only server`: {args.clients} client processes on loopback, each with its own officer token and one",
        f"keep-alive connection, for {args.seconds:.0f} s per mode, against "
        + (f"{args.servers} `vaxticket serve` processes on one PostgreSQL database (" if args.postgres else "one `vaxticket serve` (")
        + f"{'release' if '/release/' in args.bin or 'bench' in args.bin else 'debug'} build, "
        + ("" if args.postgres else "SQLite, "),
        f"{cores} cores shared with the clients). Each mode walks a list of tickets in a shared order, so every ticket is",
        "sent again by other clients (re-scans, and the same ticket from several phones at once).",
        f"The photos are `simulate-photo --kind mixed` shots of printed tickets, {sum(map(len, images)) / max(1, len(images)) / 1024:.0f} KB JPEGs on",
        "average (not 12 MP camera files, which cost more to decode); the machine was shared with other builds while measuring.",
        "",
        "| mode | build | scans/s | doses recorded/s | p50 | p99 | server CPU a scan | server peak RSS | requests | non-200 | transport errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        non200 = sum(v for k, v in r["statuses"].items() if k != "200")
        lines.append(
            f"| {r['mode']} ({r['items']} tickets) | {r['build']} | {r['scans_per_s']:,} | {r['recorded_per_s']:,} | {r['p50_ms']} ms | {r['p99_ms']} ms | {r['server_cpu_ms_per_scan']} ms | "
            f"{r['peak_rss_mb']} MB | {r['requests']:,} | {non200} | {r['transport_errors']} |"
        )
    lines += ["", "Nothing lost or doubled:", ""]
    for r in runs:
        lines.append(
            f"- {r['mode']}, {r['build']}: {r['tickets_recorded']:,} tickets answered `recorded`, {r['tickets_recorded_twice']} of them twice; "
            f"{r['doses_in_db']:,} doses in the database; {r['scan_log_rows']:,} scan-log rows for {r['statuses'].get('200', 0):,} answers; "
            f"{r['unanswered']} requests unanswered. Outcomes: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(r["outcomes"].items(), key=lambda kv: -kv[1]))
        )
    lines += ["", "Against the city's peak of 25,000 doses a day (every dose one scan):", ""]
    for r in runs:
        per_day = r["scans_per_s"] * 86400
        per_shift = r["scans_per_s"] * 10 * 3600
        lines.append(
            f"- {r['mode']}, {r['build']}: {r['scans_per_s']:,} scans/s is {per_shift:,.0f} scans in a 10-hour day, "
            f"{per_shift / 25000:,.0f}x the peak ({per_day / 25000:,.0f}x over 24 hours)."
        )
    if args.baseline:
        lines += ["", "*before* is the baseline build (BENCH_BASELINE_BIN), loaded the same way just before this build, "
                  "each on a fresh database with the same tickets:", ""]
        for mode in ("text", "photo"):
            pair = {r["build"]: r for r in runs if r["mode"] == mode}
            if "before" in pair and pair["before"]["scans_per_s"]:
                lines.append(f"- {mode}: {pair['this build']['scans_per_s'] / pair['before']['scans_per_s']:.2f}x "
                             f"the scans/s of before, p99 {pair['before']['p99_ms']} ms before, "
                             f"{pair['this build']['p99_ms']} ms now.")
    with open(args.markdown, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    bad = [r for r in runs if r["tickets_recorded_twice"] or r["lost"] or r["unanswered"] or r["doses_in_db"] != r["tickets_recorded"]]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
