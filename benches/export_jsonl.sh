#!/usr/bin/env bash
# Benchmark (not a test): export N encounters (default 100,000) as JSONL and report
# encounters per second and peak memory (max RSS). The export must stream, so peak memory
# should not grow with N: run with N=10000 and N=100000 and compare.
#
# Side by side, in the same run, on the same database: the `sqlite3` shell emitting the
# same events as one JSON object per line (json_object over the events table, in export
# order), which does no chain verification, no derived state and no record building: the
# floor for reading the data out. Target: msht within 2x of it (at least half its speed).
# Set NO_SQLITE=1 to skip it (or when sqlite3 is not installed).
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

SQL_OUT="$DIR/sqlite-$N.jsonl"
sql_secs=""
if [ -z "${NO_SQLITE:-}" ] && command -v sqlite3 >/dev/null; then
	rm -f "$SQL_OUT"
	sql_start=$(date +%s.%N)
	sqlite3 -readonly "$DB" >"$SQL_OUT" <<'SQL'
.mode list
SELECT json_object('id', e.id, 'encounter_id', e.encounter_id, 'seq', e.seq, 'at', e.at,
                   'offset', e.offset, 'device_id', e.device_id, 'prev_hash', e.prev_hash,
                   'hash', e.hash, 'body', json(e.body))
FROM encounters n JOIN events e ON e.encounter_id = n.id
ORDER BY n.created_at, n.id, e.seq;
SQL
	sql_end=$(date +%s.%N)
	sql_secs=$(echo "$sql_end - $sql_start" | bc -l)
	sql_lines=$(wc -l <"$SQL_OUT")
	rm -f "$SQL_OUT"
fi

lines=$(wc -l <"$OUT")
bytes=$(stat -c %s "$OUT")
secs=$(echo "$end - $start" | bc -l)
rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$LOG")
printf 'encounters:     %d\n' "$lines"
printf 'output:         %.1f MB\n' "$(echo "$bytes / 1000000" | bc -l)"
printf 'wall time:      %.2f s\n' "$secs"
printf 'encounters/s:   %.0f\n' "$(echo "$lines / $secs" | bc -l)"
printf 'peak RSS:       %.1f MB\n' "$(echo "$rss_kb / 1024" | bc -l)"
if [ -n "$sql_secs" ]; then
	printf 'sqlite3 shell:  %.2f s for %d events as JSON lines\n' "$sql_secs" "$sql_lines"
	printf 'msht / sqlite3: %.2fx (target <= 2x)\n' "$(echo "$secs / $sql_secs" | bc -l)"
fi
rm -f "$OUT"
