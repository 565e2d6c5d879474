#!/usr/bin/env python3
"""The phone page's own figures (issue 21, item 7): how long the page takes to check one VT2
ticket offline in Chromium (WebCrypto Ed25519, the page's ticket.js against the server's offline
bundle), and how fast a queue of 1,000 scans drains through POST /api/v1/scans/batch on loopback,
with nothing lost or doubled.

Run by `scripts/bench --only phone` with the release build; it needs Playwright for Python (PyPI)
and Debian's Chromium (/usr/bin/chromium, never a downloaded browser). Writes a JSON file and a
Markdown report (docs/phone-bench.md on full runs).

  phone_bench.py --bin .build-bench/release/vaxticket --work DIR --json FILE --markdown FILE
"""

import argparse
import csv
import http.client
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def run(binary, *arguments, env):
    result = subprocess.run([binary, *arguments], env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"vaxticket {' '.join(arguments)}: {result.stderr}")
    return result.stdout


def issue(binary, env, folder, name, registrants):
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    path = folder / f"{name}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["registrant", "dose", "vaccine", "site", "group", "valid_from", "valid_until"])
        for registrant in registrants:
            writer.writerow([registrant, 1, "CORONAVAC", "JKT01", "GENERAL", today, today + timedelta(days=29)])
    run(binary, "issue", "--csv", str(path), "--out-dir", str(folder / name), "--format", "text", env=env)
    return (folder / name / "tickets.txt").read_text().splitlines()


class Server:
    def __init__(self, binary, env):
        self.process = subprocess.Popen(
            [binary, "serve", "--port", "0", "--rate-limit", "0", "--log-level", "warning"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"the server did not start: {line}")
        self.url = line.split()[2].rstrip("/")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def verify_in_chromium(page, token, tickets, rounds):
    """Per-ticket times (ms) of OfflineVerifier.verify, the first (key import) apart."""
    return page.evaluate(
        """async ([token, tickets, rounds]) => {
            const { OfflineVerifier } = await import("/ticket.js");
            const response = await fetch("/api/v1/offline-bundle", { headers: { Authorization: "Bearer " + token } });
            const verifier = new OfflineVerifier(await response.json());
            let start = performance.now();
            const first = await verifier.verify(tickets[0]);
            const firstMs = performance.now() - start;
            const outcomes = {};
            const times = [];
            const totals = [];
            for (let round = 0; round < rounds; round++) {
              const roundStart = performance.now();
              for (const text of tickets) {
                start = performance.now();
                const result = await verifier.verify(text);
                times.push(performance.now() - start);
                outcomes[result.outcome] = (outcomes[result.outcome] || 0) + 1;
              }
              totals.push(performance.now() - roundStart);
            }
            return { first: first.outcome, firstMs, times, totals, outcomes };
        }""",
        [token, tickets, rounds],
    )


def drain_in_chromium(browser, server, token, tickets):
    """Puts `tickets` in the page's IndexedDB queue offline, then times the page's own drain."""
    context = browser.new_context()
    context.set_default_timeout(600_000)
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_selector("html[data-ready=true]")
    page.fill("#token", token)
    page.click("#sign-in")
    page.wait_for_selector("#scanner:not([hidden])")
    context.set_offline(True)
    page.evaluate(
        """async (tickets) => {
            const queue = await import("/queue.js");
            const now = Date.now();
            for (let i = 0; i < tickets.length; i++) {
              await queue.add({
                id: queue.newScanID(), ticket: tickets[i], scannedAt: new Date(now - (tickets.length - i) * 10).toISOString(),
                station: "BENCH", lot: "LOT1", state: "waiting", shown: { outcome: "recorded" }, final: null,
                attention: false, acknowledged: false,
              });
            }
        }""",
        tickets,
    )
    page.reload()
    page.wait_for_function("n => document.getElementById('queue').dataset.waiting === n", arg=str(len(tickets)))
    start = time.perf_counter()
    context.set_offline(False)
    page.wait_for_function(
        "n => { const q = document.getElementById('queue').dataset; return q.waiting === '0' && q.sent === n; }",
        arg=str(len(tickets)), polling=20,
    )
    seconds = time.perf_counter() - start
    counter = page.evaluate("() => Object.assign({}, document.getElementById('queue').dataset)")
    context.close()
    return seconds, counter


def drain_raw(server, token, tickets, batch):
    """The batch endpoint alone: a Python client on one keep-alive connection."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    answered = 0
    start = time.perf_counter()
    for offset in range(0, len(tickets), batch):
        scans = [
            {"id": f"raw{offset + i:08d}", "ticket": text, "scannedAt": (now - timedelta(seconds=60)).isoformat() + "Z", "station": "RAW"}
            for i, text in enumerate(tickets[offset : offset + batch])
        ]
        connection.request(
            "POST", "/api/v1/scans/batch", json.dumps({"scans": scans}),
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"batch upload: HTTP {response.status}: {body[:200]}")
        answered += len(json.loads(body)["results"])
    seconds = time.perf_counter() - start
    connection.close()
    return seconds, answered


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    work = Path(options.work)
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    env = dict(os.environ, VAXTICKET_KEYRING=str(work / "keyring.json"), VAXTICKET_DB=str(work / "doses.sqlite"))
    binary = options.bin
    run(binary, "keys", "new", "--algorithm", "ed25519", env=env)
    token = run(binary, "officers", "add", "BENCH", env=env).strip().splitlines()[-1]
    count = options.tickets
    page_tickets = issue(binary, env, work, "page", [f"3{i:015d}" for i in range(count)])
    raw_tickets = issue(binary, env, work, "raw", [f"4{i:015d}" for i in range(count)])

    server = Server(binary, env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context()
            page = context.new_page()
            page.goto(server.url + "/")
            page.wait_for_selector("html[data-ready=true]")
            verified = verify_in_chromium(page, token, page_tickets, options.rounds)
            context.close()
            drain_seconds, counter = drain_in_chromium(browser, server, token, page_tickets)
            browser.close()
        raw_seconds, raw_answered = drain_raw(server, token, raw_tickets, 100)
    finally:
        server.stop()

    stats = json.loads(run(binary, "stats", "--json", env=env))
    with sqlite3.connect(work / "doses.sqlite") as db:
        queued = db.execute("SELECT count(*) FROM queued_scan").fetchone()[0]
        page_rows = db.execute("SELECT count(*) FROM queued_scan WHERE scan_id NOT LIKE 'raw%'").fetchone()[0]

    times = sorted(verified["times"])
    per_round = [total / count for total in verified["totals"]]
    chromium_version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    results = {
        "tickets": count,
        "rounds": options.rounds,
        "chromium": chromium_version,
        "verify": {
            "first_ms": verified["firstMs"],
            "first_outcome": verified["first"],
            "outcomes": verified["outcomes"],
            "mean_ms": statistics.fmean(times),
            "p50_ms": times[len(times) // 2],
            "p95_ms": times[int(len(times) * 0.95)],
            "per_round_mean_ms": per_round,
            "per_second": 1000 / statistics.median(per_round),
        },
        "drain_page": {
            "seconds": drain_seconds,
            "scans_per_second": count / drain_seconds,
            "counter": counter,
        },
        "drain_raw": {"seconds": raw_seconds, "scans_per_second": count / raw_seconds, "answered": raw_answered},
        "store": {"doses": stats["total"], "queued_scans": queued, "page_scans": page_rows},
    }
    exact = (
        stats["total"] == 2 * count and queued == 2 * count and page_rows == count
        and counter["waiting"] == "0" and counter["sent"] == str(count) and raw_answered == count
        and verified["outcomes"] == {"valid": count * options.rounds}
    )
    results["exactly_once"] = exact
    Path(options.json).write_text(json.dumps(results, indent=2) + "\n")

    v, d, r = results["verify"], results["drain_page"], results["drain_raw"]
    markdown = f"""# The phone page: offline checks and queue drain

Measured by `scripts/bench --only phone` (scripts/bench.d/phone_bench.py) on {platform.node() or "this machine"},
{datetime.now(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC")}: the release build of `vaxticket serve` on loopback
(SQLite), {chromium_version} headless through Playwright. The machine has 2 cores shared with other work, so the
figures are noisy; compare them within one run.

## A VT2 ticket checked on the phone

The page's own `ticket.js` (Base45, layout, WebCrypto Ed25519 against the offline bundle, key state, rotation,
validity, revocation, dates), {count:,} distinct VT2 tickets, {options.rounds} rounds:

| | per ticket |
|---|---|
| first ticket (imports the public key) | {v["first_ms"]:.2f} ms |
| mean | {v["mean_ms"]:.3f} ms |
| median | {v["p50_ms"]:.3f} ms |
| 95th percentile | {v["p95_ms"]:.3f} ms |
| tickets a second (median round) | {v["per_second"]:,.0f} |

Every check answered `valid`: {v["outcomes"]}.

## {count:,} queued scans drained

| | seconds | scans/s |
|---|---|---|
| the page's own drain (IndexedDB queue, batches of 100, answers written back) | {d["seconds"]:.2f} | {d["scans_per_second"]:,.0f} |
| the batch endpoint alone (a Python client, batches of 100, one connection) | {r["seconds"]:.2f} | {r["scans_per_second"]:,.0f} |

Target: at least 200 scans/s. Nothing lost or doubled: {"yes" if exact else "NO"}. The database holds
{stats["total"]:,} doses and {queued:,} queued scans for {2 * count:,} scans sent ({page_rows:,} from the page), and
the page's counter reads {counter["waiting"]} waiting, {counter["sent"]} sent, {counter["attention"]} needing attention.
"""
    Path(options.markdown).write_text(markdown)
    print(markdown)
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
