#!/usr/bin/env bash
# Instructions per `tools/call get_quote` over HTTP, in each protocol era, counted by valgrind's
# callgrind: the same count for the same binary whatever else the machine is doing, where calls
# per second on a shared machine move by ±15 % from run to run. User-space instructions only
# (the kernel's share and the cost of each instruction are not in it): a check of the work each
# era does, beside the calls/s of `cargo bench --bench http`.
#
# Run: bash benches/instructions.sh [CALLS]   (3000 by default; needs valgrind and a release build)
# For each era, the server runs under callgrind; 300 calls warm it up (the replay tape is read,
# the caches filled), the counters are zeroed, CALLS calls are made on one connection and the
# counters dumped. Both eras' windows hold the same fixed extra (the bench client's one
# `initialize` and one warm-up call), so the difference of the totals over CALLS is the
# difference per call.
set -euo pipefail
calls="${1:-3000}"
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
cargo build --release --quiet
bench=$(cargo bench --bench http --no-run 2>&1 | sed -n 's/.*Executable benches\/http.rs (\(.*\))/\1/p' | tail -1)
[ -x "$bench" ] || { echo "the HTTP bench did not build" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # era phase -> total instructions in the measured window
  local era=$1 phase=$2 dir="$work/$1"
  mkdir -p "$dir/data"
  TTAI_DATA_DIR="$dir/data" valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p.out" \
    target/release/ttai --broker replay --transport http --port 0 --log-level info serve 2>"$dir/err" &
  local pid=$! address=""
  for _ in $(seq 1 120); do
    address=$(grep -o 'address=[^ ]*' "$dir/err" | head -1 | cut -d= -f2 || true)
    [ -n "$address" ] && break
    sleep 1
  done
  [ -n "$address" ] || { echo "ttai did not start under valgrind" >&2; kill "$pid"; exit 1; }
  local env=(TTAI_BENCH_URL="http://$address/mcp" TTAI_BENCH_PID="$pid" TTAI_BENCH_ROUNDS=1 TTAI_BENCH_PHASE="$phase")
  env "${env[@]}" "$bench" 1 300 >/dev/null 2>&1
  callgrind_control -z "$pid" >/dev/null 2>&1
  env "${env[@]}" "$bench" 1 "$calls" >"$dir/bench.txt" 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  grep -q "failures 0" "$dir/bench.txt" || { echo "$era: calls failed" >&2; cat "$dir/bench.txt" >&2; exit 1; }
  callgrind_annotate "$dir"/cg.*.out.1 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}

legacy=$(count legacy "2025-11-25 with sessions, JSON")
modern=$(count modern "2026-07-28 without sessions, JSON")
awk -v l="$legacy" -v m="$modern" -v n="$calls" 'BEGIN {
  printf "instructions per tools/call get_quote over HTTP (%d calls, one connection):\n", n
  printf "  2025-11-25 with a session: %.0f\n  2026-07-28 without:        %.0f\n", l / n, m / n
  printf "  2026-07-28 minus 2025-11-25: %+.0f per call (%+.2f %%)\n", (m - l) / n, (m - l) / l * 100
}'
