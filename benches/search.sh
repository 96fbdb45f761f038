#!/usr/bin/env bash
# Benchmark (not a test): `msht search "debt bondage"` against `rg -i "debt bondage"` over
# the same guidance files, whole process, release build, in the same run. Reports the
# median of each and the ratio of medians. Goal: warm index no slower than 1.5x ripgrep.
#
#   benches/search.sh            # RUNS=200 by default
#   RUNS=50 benches/search.sh
#
# Cases:
#   warm      the index cache file exists and matches the guidance (the normal case)
#   cold      no cache file: build the index in memory, search, write the cache
#   no-cache  cache turned off (MSHT_CACHE_DIR=""): build in memory every run
#   embedded  warm, but on the copy compiled into the binary (the default for officers)
# msht reads guidance/ from disk with --guidance, so it reads the same files rg reads.
#
# Uses hyperfine if installed (apt-get install hyperfine), else (or with NO_HYPERFINE=1) a
# shell loop, which adds the loop's own fork/exec cost to every command alike.
#
# With hyperfine, the CPU time (user + system, mean) is reported beside the wall-clock
# median: on a shared machine most of a few-millisecond wall time is waiting for a core,
# which says more about the other processes than about either program.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-200}
QUERY="debt bondage"
command -v rg >/dev/null || {
	echo "ripgrep (rg) is not installed: apt-get install ripgrep, or cargo install ripgrep" >&2
	exit 1
}
cargo build --release --quiet
BIN=$PWD/target/release/msht
CACHE=$(mktemp -d)
OUT=$(mktemp -d)
trap 'rm -rf "$CACHE" "$OUT"' EXIT
export NO_COLOR=1

# Each case: name, env assignments, command. `env` wraps every command (rg too), so the
# exec overhead is the same on both sides.
names=(ripgrep warm cold no-cache embedded)
cmds=(
	"env rg -i '$QUERY' guidance/"
	"env MSHT_CACHE_DIR=$CACHE/warm $BIN --guidance guidance search $QUERY"
	"env MSHT_CACHE_DIR=$CACHE/cold $BIN --guidance guidance search $QUERY"
	"env MSHT_CACHE_DIR= $BIN --guidance guidance search $QUERY"
	"env MSHT_CACHE_DIR=$CACHE/embedded $BIN search $QUERY"
)
prepare=(true true "rm -rf $CACHE/cold" true true)

# Sanity: every command works and msht finds the passage.
for c in "${cmds[@]}"; do sh -c "$c" >/dev/null; done
sh -c "${cmds[1]}" | grep -q "indicators#money" || {
	echo "msht did not find indicators#money for '$QUERY'" >&2
	exit 1
}

median_ms() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m}'; }

declare -A med cpu
if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null; then
	echo "hyperfine, $RUNS runs each, 10 warmup runs"
	for i in "${!names[@]}"; do
		hyperfine -N --style none --warmup 10 --runs "$RUNS" --prepare "${prepare[$i]}" \
			--export-json "$OUT/${names[$i]}.json" "${cmds[$i]}" >/dev/null 2>&1
		med[${names[$i]}]=$(grep -o '"median": *[0-9.e-]*' "$OUT/${names[$i]}.json" |
			head -1 | awk '{printf "%.2f", $2 * 1000}')
		cpu[${names[$i]}]=$(grep -oE '"(user|system)": *[0-9.e-]+' "$OUT/${names[$i]}.json" |
			head -2 | awk -F: '{s += $2} END {printf "%.2f", s * 1000}')
	done
else
	echo "shell loop (no hyperfine, or NO_HYPERFINE set), $RUNS runs each (includes loop overhead)"
	for i in "${!names[@]}"; do
		for _ in $(seq 5); do sh -c "${cmds[$i]}" >/dev/null; done
		: >"$OUT/${names[$i]}.txt"
		for _ in $(seq "$RUNS"); do
			sh -c "${prepare[$i]}"
			s=$(date +%s%N)
			sh -c "${cmds[$i]}" >/dev/null
			e=$(date +%s%N)
			awk -v s="$s" -v e="$e" 'BEGIN {printf "%.3f\n", (e - s) / 1000000}' >>"$OUT/${names[$i]}.txt"
		done
		med[${names[$i]}]=$(median_ms <"$OUT/${names[$i]}.txt")
	done
fi

rg_ms=${med[ripgrep]}
rg_cpu=${cpu[ripgrep]:-}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "-"}'; }
printf '\n%-10s %10s %12s %10s %12s\n' case "median ms" "x ripgrep" "cpu ms" "x ripgrep"
for n in "${names[@]}"; do
	c=${cpu[$n]:-}
	printf '%-10s %10s %12s %10s %12s\n' "$n" "${med[$n]}" "$(ratio "${med[$n]}" "$rg_ms")" \
		"${c:--}" "$(ratio "${c:-0}" "${rg_cpu:-0}")"
done
warm_ratio=$(awk -v a="${med[warm]}" -v b="$rg_ms" 'BEGIN {printf "%.2f", a / b}')
if awk -v r="$warm_ratio" 'BEGIN {exit !(r <= 1.5)}'; then
	echo "goal met: warm is ${warm_ratio}x ripgrep (goal <= 1.5x)"
else
	echo "goal missed: warm is ${warm_ratio}x ripgrep (goal <= 1.5x)"
fi
