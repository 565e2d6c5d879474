#!/usr/bin/env bash
# Recording at city scale: a whole city's doses (1,205,265 by default, split like the city's
# report: dose 1 747,755, dose 2 450,759, dose 3 for health workers 6,751) go from ticket texts
# through `vaxticket record --payloads`, in three phases (dose 1, then dose 2 after the interval,
# then dose 3), into one fresh SQLite database. Then `stats` is timed on the full database and
# the database size per record is reported.
#
# With --postgres, the same tickets are then recorded the same way into a fresh PostgreSQL
# database on a throwaway local cluster (scripts/pg-cluster, removed afterwards), and the same
# figures are reported with a `pg_` prefix, side by side with SQLite's.
#
# Usage: scripts/bench.d/record.sh [--bin PATH] [--work DIR] [--quick] [--doses N] [--postgres]
#   --bin       a release vaxticket (default: build one with swift build -c release in .build-bench/)
#   --work      the folder for generated files (default: .build-bench/record; emptied first)
#   --quick     100,000 doses instead of 1,205,265
#   --doses     any number of doses, split in the same proportions
#   --postgres  also measure PostgreSQL (installs the postgresql package when missing and root)
# Prints `name = value` lines (records_per_s, stats_ms_median, db_bytes_per_record, ...) on
# stdout, progress on stderr. Nothing is written outside the work folder and the build folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

bin="" work="$repo/.build-bench/record" doses=1205265 postgres=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=${2:?--bin needs a path}; shift ;;
    --work) work=${2:?--work needs a folder}; shift ;;
    --quick) doses=100000 ;;
    --doses) doses=${2:?--doses needs a number}; shift ;;
    --postgres) postgres=1 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "record.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "record.sh: $*" >&2; }
now_ns() { date +%s%N; }

if [ -z "$bin" ]; then
  say "building release into .build-bench/"
  swift build -c release --scratch-path "$repo/.build-bench" --product vaxticket >&2
  bin="$repo/.build-bench/release/vaxticket"
fi
case "$work" in
  "$repo"/.build-*|/tmp/*|"${TMPDIR:-/tmp}"/*) ;;
  *) [ -d "$work" ] && [ -n "$(ls -A "$work" 2>/dev/null)" ] && { say "refusing to empty $work (not under .build-* or /tmp)"; exit 2; } ;;
esac
rm -rf "$work"
mkdir -p "$work"
cd "$work"
export VAXTICKET_KEYRING="$work/bench-keyring.json" VAXTICKET_DB="$work/bench.sqlite"

# --- Tickets: the city's mix --------------------------------------------------------------------
python3 - "$doses" <<'PY'
import sys
total = int(sys.argv[1])
d3 = max(1, round(total * 6751 / 1205265))
d2 = round(total * 450759 / 1205265)
d1 = total - d2 - d3
sites = [f"JKT{n:02d}" for n in range(1, 45)]          # 44 districts
header = "registrant,dose,vaccine,site,group,valid_from,valid_until\n"
def row(i, dose):
    group = "HEALTHWORKER" if i < d3 else ("ELDERLY" if i % 7 == 0 else "GENERAL")
    vaccine = "ASTRAZENECA" if i % 5 == 0 else "CORONAVAC"
    return f"{i:012d},{dose},{vaccine},{sites[i % len(sites)]},{group},2021-01-01,2021-12-31\n"
for dose, count in ((1, d1), (2, d2), (3, d3)):
    with open(f"dose{dose}.csv", "w") as f:
        f.write(header)
        f.writelines(row(i, dose) for i in range(count))
print(f"{d1} {d2} {d3}", file=open("mix.txt", "w"))
PY
read -r d1 d2 d3 < mix.txt
say "mix: dose 1 $d1, dose 2 $d2, dose 3 $d3 (total $doses)"

# The tickets are valid all of 2021, longer than the default 90-day cap.
"$bin" keys new --keyring "$VAXTICKET_KEYRING" --max-validity-days 366 >&2
issue_ns=0
for dose in 1 2 3; do
  start=$(now_ns)
  "$bin" issue --csv "dose$dose.csv" --out-dir "tickets$dose" --format text --keyring "$VAXTICKET_KEYRING" >/dev/null 2>"issue$dose.log" \
    || { say "issue failed: $(tail -3 "issue$dose.log")"; exit 1; }
  issue_ns=$((issue_ns + $(now_ns) - start))
done
say "issued $doses ticket texts in $((issue_ns / 1000000)) ms"

# --- Record and stats into one database ($VAXTICKET_DB), figures prefixed with $1 -----------------
measure() {
  local prefix=$1 record_ns=0 phase elapsed start times stats_us stats_best_us stats_day_us recorded scans db_bytes
  for phase in "1 2021-06-01T09:00:00" "2 2021-09-01T09:00:00" "3 2021-12-15T09:00:00"; do
    set -- $phase
    start=$(now_ns)
    "$bin" record --payloads "tickets$1/tickets.txt" --officer BENCH --station BENCH1 --lot LOT2021 --at "$2" --quiet \
      >"${prefix}record$1.out" 2>"${prefix}record$1.err" || { say "${prefix}record dose $1 failed: $(tail -3 "${prefix}record$1.err")"; exit 1; }
    elapsed=$(( $(now_ns) - start ))
    record_ns=$((record_ns + elapsed))
    say "${prefix}dose $1: $(tail -1 "${prefix}record$1.err") in $((elapsed / 1000000)) ms"
  done

  "$bin" stats --json >"${prefix}stats.json"
  recorded=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' "${prefix}stats.json")
  [ "$recorded" = "$doses" ] || { say "expected $doses doses recorded, ${prefix}stats says $recorded"; exit 1; }
  times=()
  for _ in 1 2 3 4 5 6 7; do
    start=$(now_ns)
    "$bin" stats --by site --json >/dev/null
    times+=($(( ($(now_ns) - start) / 1000 )))
  done
  stats_us=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 4p)
  stats_best_us=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
  start=$(now_ns); "$bin" stats --by day --from 2021-06-01 --to 2021-09-30 >/dev/null; stats_day_us=$(( ($(now_ns) - start) / 1000 ))

  if [ -n "$prefix" ]; then
    db_bytes=$(psql "${VAXTICKET_DB}" -Atc 'SELECT pg_database_size(current_database())' 2>/dev/null || echo 0)
  else
    db_bytes=$(( $(stat -c %s "$VAXTICKET_DB") + $( [ -f "$VAXTICKET_DB-wal" ] && stat -c %s "$VAXTICKET_DB-wal" || echo 0) ))
  fi
  scans=$(python3 -c 'import json, sys; print(sum(json.load(open(sys.argv[1]))["scans"].values()))' "${prefix}stats.json")

  echo "${prefix}record_seconds = $(python3 -c "print(f'{$record_ns / 1e9:.1f}')")"
  echo "${prefix}records_per_s = $(( doses * 1000000000 / record_ns ))"
  echo "${prefix}stats_ms_median = $(python3 -c "print(f'{$stats_us / 1000:.1f}')")"
  echo "${prefix}stats_ms_best = $(python3 -c "print(f'{$stats_best_us / 1000:.1f}')")"
  echo "${prefix}stats_by_day_ms = $(python3 -c "print(f'{$stats_day_us / 1000:.1f}')")"
  echo "${prefix}db_bytes = $db_bytes"
  echo "${prefix}db_bytes_per_record = $(( db_bytes / doses ))"
  echo "${prefix}scan_log_rows = $scans"
  echo "${prefix}stats: $(tr -d '\n' < "${prefix}stats.json" | cut -c1-300)"
  say "${prefix}stats times (us, whole process): ${times[*]}"
}

echo "doses = $doses"
echo "dose_mix = $d1/$d2/$d3"
echo "issue_per_s = $(( doses * 1000000000 / issue_ns ))"
measure ""

# --- The same into PostgreSQL, on a throwaway cluster -----------------------------------------------
if [ "$postgres" = 1 ]; then
  cluster="$work/pg-cluster"
  trap '"$repo/scripts/pg-cluster" stop "$cluster"' EXIT
  "$repo/scripts/pg-cluster" start "$cluster"
  # shellcheck disable=SC1091
  . "$cluster/env"
  export VAXTICKET_DB="$VAXTICKET_TEST_POSTGRES_URL"
  echo "pg_server = $(psql "$VAXTICKET_DB" -Atc 'SHOW server_version' 2>/dev/null || echo '?')"
  measure pg_
fi
