#!/usr/bin/env bash
# Benchmark (not a test): export N encounters (default 100,000) as JSONL and report
# encounters per second and peak memory (max RSS). The export must stream, so peak memory
# should not grow with N: run with N=10000 and N=100000 and compare.
#
#   benches/export_jsonl.sh [N] [DB_DIR]
#
# The database is seeded once (through the same planner and store as `check --answers`)
# and reused. By default it lives on /dev/shm so seeding is not bound by one fsync per
# encounter; the export itself only reads. Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
DIR="${2:-/dev/shm/msht-bench}"
DB="$DIR/export-$N.db"
mkdir -p "$DIR"

cargo build --release --quiet
cargo bench --quiet --bench export_seed -- "$DB" "$N"

OUT="$DIR/export-$N.jsonl"
rm -f "$OUT"
LOG="$DIR/time-$N.txt"
start=$(date +%s.%N)
/usr/bin/time -v target/release/msht --db "$DB" export --all --format jsonl --out "$OUT" \
  >/dev/null 2>"$LOG"
end=$(date +%s.%N)

lines=$(wc -l <"$OUT")
bytes=$(stat -c %s "$OUT")
secs=$(echo "$end - $start" | bc -l)
rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$LOG")
printf 'encounters:     %d\n' "$lines"
printf 'output:         %.1f MB\n' "$(echo "$bytes / 1000000" | bc -l)"
printf 'wall time:      %.2f s\n' "$secs"
printf 'encounters/s:   %.0f\n' "$(echo "$lines / $secs" | bc -l)"
printf 'peak RSS:       %.1f MB\n' "$(echo "$rss_kb / 1024" | bc -l)"
rm -f "$OUT"
