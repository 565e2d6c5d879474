#!/usr/bin/env bash
# Registry sync at scale: 100,000 recorded doses (by default) go through `vaxticket sync` to the
# loopback FHIR receiver (the fhir-receiver tool, built from Sources/FHIRReceiver), in transaction
# Bundles of 100. Reports the rate and where the time goes (database, mapping, JSON, HTTP; HTTP
# includes the receiver's own work, on the same machine), then checks that the receiver holds
# every dose exactly once and times a second run that finds nothing to do.
#
# Usage: scripts/bench.d/sync.sh [--bin-dir DIR] [--work DIR] [--doses N] [--batch N]
#   --bin-dir  folder with release `vaxticket` and `fhir-receiver` (default: build them with
#              swift build -c release in .build-bench/)
#   --work     the folder for generated files (default: .build-bench/sync; emptied first)
#   --doses    doses to sync (default 100000)
#   --batch    doses per Bundle (default 100)
# The fixture: the roster is imported with `vaxticket roster import`; the dose rows are written
# straight into that database with Python's sqlite3 (issuing and recording 100,000 tickets is
# scripts/bench.d/record.sh's job and would only slow this down). Prints `name = value` lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

bindir="" work="$repo/.build-bench/sync" doses=100000 batch=100
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bindir=${2:?--bin-dir needs a folder}; shift ;;
    --work) work=${2:?--work needs a folder}; shift ;;
    --doses) doses=${2:?--doses needs a number}; shift ;;
    --batch) batch=${2:?--batch needs a number}; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sync.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "sync.sh: $*" >&2; }

if [ -z "$bindir" ]; then
  say "building release vaxticket and fhir-receiver into .build-bench/"
  swift build -c release --scratch-path "$repo/.build-bench" --product vaxticket >&2
  swift build -c release --scratch-path "$repo/.build-bench" --product fhir-receiver >&2
  bindir="$repo/.build-bench/release"
fi
if [ ! -x "$bindir/fhir-receiver" ]; then
  say "building release fhir-receiver into .build-bench/"
  swift build -c release --scratch-path "$repo/.build-bench" --product fhir-receiver >&2
  cp "$(swift build -c release --scratch-path "$repo/.build-bench" --show-bin-path)/fhir-receiver" "$work.fhir-receiver"
  receiver_bin="$work.fhir-receiver"
else
  receiver_bin="$bindir/fhir-receiver"
fi
case "$work" in
  "$repo"/.build-*|/tmp/*|"${TMPDIR:-/tmp}"/*) ;;
  *) [ -d "$work" ] && [ -n "$(ls -A "$work" 2>/dev/null)" ] && { say "refusing to empty $work (not under .build-* or /tmp)"; exit 2; } ;;
esac
rm -rf "$work"
mkdir -p "$work"
db="$work/sync.sqlite"

say "fixture: $doses doses"
python3 - "$doses" "$work/roster.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("registrant,nik,name,birth_date,group,phone\n")
    for i in range(n):
        f.write(f"{i:012d},3171{i:012d},Bench Person {i},1980-04-30,GENERAL,\n")
PY
"$bindir/vaxticket" roster import "$work/roster.csv" --db "$db" >/dev/null
python3 - "$doses" "$db" <<'PY'
import sqlite3, sys
n, path = int(sys.argv[1]), sys.argv[2]
db = sqlite3.connect(path)
rows = (
    (f"{0xB0000000 + i:016X}", f"{i:012d}", 1, "CORONAVAC" if i % 5 else "ASTRAZENECA", f"LOT{i % 97:03d}",
     f"JKT{i % 44 + 1:02d}", f"JKT{i % 44 + 1:02d}", "GENERAL", f"OFC{i % 300:03d}", f"ST{i % 300:03d}",
     "2021-08-23 02:15:30.000", "2021-08-23", "2021-08-23 02:15:31.000")
    for i in range(n))
db.executemany(
    "INSERT INTO dose (serial, registrant, dose, vaccine, lot, site, ticket_site, priority_group, officer, station,"
    " administered_at, administered_day, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
PY

export VAXTICKET_SYNC_CLIENT_ID=bench VAXTICKET_SYNC_CLIENT_SECRET=bench-secret
"$receiver_bin" > "$work/receiver.out" &
receiver=$!
trap 'kill $receiver 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/receiver.out" ] && break; sleep 0.1; done
read -r endpoint token_url < "$work/receiver.out"
counts_url="${endpoint%/fhir}/_receiver/counts"

say "sync to $endpoint"
start=$(date +%s%N)
set +e
/usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" \
  "$bindir/vaxticket" sync --db "$db" --endpoint "$endpoint" --token-url "$token_url" --batch "$batch" --json --timings \
  > "$work/sync.json" 2> "$work/sync.err"
status=$?
set -e
end=$(date +%s%N)
[ "$status" = 0 ] || { say "sync exit $status: $(tail -3 "$work/sync.err")"; exit 1; }
start2=$(date +%s%N)
"$bindir/vaxticket" sync --db "$db" --endpoint "$endpoint" --token-url "$token_url" --json > "$work/sync2.json" 2>/dev/null
end2=$(date +%s%N)

python3 - "$doses" "$batch" "$start" "$end" "$start2" "$end2" "$work" "$counts_url" <<'PY'
import json, re, sys, urllib.request
doses, batch, start, end, start2, end2, work, counts_url = sys.argv[1:]
doses, batch = int(doses), int(batch)
seconds = (int(end) - int(start)) / 1e9
summary = json.load(open(f"{work}/sync.json"))
timings = dict(re.findall(r"(database|mapping|json|http) ([0-9.]+) s", open(f"{work}/sync.err").read()))
elapsed, user, system, rss = open(f"{work}/time.txt").read().split()
counts = json.load(urllib.request.urlopen(counts_url))
print(f"doses = {doses}")
print(f"batch = {batch}")
print(f"sync_seconds = {seconds:.2f}")
print(f"doses_per_s = {doses / seconds:.0f}")
print(f"sent = {summary['sent']}")
print(f"already_there = {summary['alreadyThere']}")
print(f"refused = {summary['refused']}")
for stage in ("database", "mapping", "json", "http"):
    value = float(timings.get(stage, "nan"))
    print(f"time_{stage}_s = {value:.2f}")
    print(f"share_{stage}_pct = {100 * value / seconds:.0f}")
print(f"sync_cpu_user_s = {user}")
print(f"sync_cpu_system_s = {system}")
print(f"sync_max_rss_kb = {rss}")
print(f"receiver_immunizations = {counts['immunizations']}")
print(f"receiver_duplicates = {counts['duplicateIdentifiers']}")
print(f"receiver_bundles = {counts['bundles']}")
print(f"receiver_tokens = {counts['tokensIssued']}")
print(f"second_run_seconds = {(int(end2) - int(start2)) / 1e9:.2f}")
print(f"second_run = {open(f'{work}/sync2.json').read().strip()}")
PY
