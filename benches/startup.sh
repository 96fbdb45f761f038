#!/usr/bin/env bash
# Benchmark (not a test): start-up cost of the read-only guidance commands against
# `msht --version` (the floor: parse arguments, print, exit), whole process, release build,
# in one hyperfine run. Target: each within 1.5x of `--version`.
#
#   benches/startup.sh            # RUNS=300 by default
#
# The built-in guidance is parsed and checked at build time (build.rs) and embedded in
# postcard form, so these commands load it without parsing TOML or Markdown. For
# comparison the script also runs `checklist list` with `--guidance guidance`, which
# parses and checks the same files at run time (as every run did before).
# `search` uses a warm index cache in a temporary folder (the normal case).
# Needs hyperfine (apt-get install -y hyperfine) and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-300}
command -v hyperfine >/dev/null || {
	echo "hyperfine is not installed: apt-get install -y hyperfine" >&2
	exit 1
}
cargo build --release --quiet
BIN=$PWD/target/release/msht
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export MSHT_CACHE_DIR=$TMP/cache MSHT_CONFIG=$TMP/config.toml MSHT_DB=$TMP/msht.db NO_COLOR=1
unset MSHT_GUIDANCE
"$BIN" search debt bondage >/dev/null # warm the search index cache

hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$TMP/startup.json" \
	-n version "$BIN --version" \
	-n "checklist list" "$BIN checklist list" \
	-n "guide show nrm" "$BIN guide show nrm" \
	-n "search debt bondage" "$BIN search debt bondage" \
	-n "checklist list --guidance DIR" "$BIN --guidance guidance checklist list" \
	>/dev/null

echo "median wall time, and ratio to msht --version (target <= 1.5x; the last row parses at run time):"
if command -v jq >/dev/null; then
	jq -r '.results[0].median as $base | .results[] |
		"\(.command | .[0:32] | . + (" " * (32 - length)))  \(.median * 1000 * 100 | round / 100) ms   \(.median / $base * 100 | round / 100)x"' \
		"$TMP/startup.json"
else
	python3 - "$TMP/startup.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print(f'{x["command"]:<32}  {x["median"]*1000:.2f} ms   {x["median"]/base:.2f}x')
PY
fi

# On a shared machine wall time includes waiting for a core; CPU time (perf's task-clock)
# does not, so it is printed too when perf is installed.
if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
	echo "CPU time (perf task-clock, mean of $RUNS runs), and ratio to msht --version:"
	base=""
	for args in "--version" "checklist list" "guide show nrm" "search debt bondage" "--guidance guidance checklist list"; do
		# shellcheck disable=SC2086 # the arguments are meant to split
		ms=$(perf stat -r "$RUNS" -x, -e task-clock "$BIN" $args 2>&1 >/dev/null | cut -d, -f1)
		base=${base:-$ms}
		printf '%-36s %6.2f ms   %.2fx\n' "$args" "$ms" "$(echo "$ms / $base" | bc -l)"
	done
fi
