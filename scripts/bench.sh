#!/usr/bin/env bash
# make bench: plan and apply N repositories against the simulator with a
# per-operation rate limit and latency, and print calls per operation against
# the minimum, wall time against the floor, 429s, CPU and peak memory; then
# the Go benchmarks of the loader, the planner and the renderers.
#   N=1000 (default) or N=10000; RATE calls/min per operation (default 2*N, so
#   the read floor is 30 s); LATENCY_MS per request (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
RATE=${RATE:-$((2 * N))}
LATENCY_MS=${LATENCY_MS:-20}
# Enough workers to keep every operation's budget busy through the latency:
# 4 read operations x RATE/60 calls a second x latency, doubled, at least 8.
CONCURRENCY=${CONCURRENCY:-$(( (4 * RATE / 60 * LATENCY_MS / 1000 * 2) > 8 ? (4 * RATE / 60 * LATENCY_MS / 1000 * 2) : 8 ))}
bin=./bin/reposync
work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

go run ./internal/bench/gen -n "$N" -out "$work"
"$bin" sim --fixture "$work/fixture.yaml" --rate-limit "$RATE" --latency "${LATENCY_MS}ms" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/sim.out" ] && break; sleep 0.1; done
url=$(head -n1 "$work/sim.out" | sed -n 's/^listening on //p')
[ -n "$url" ] || { cat "$work/sim.err" >&2; exit 1; }
export REPOSYNC_ENDPOINT="$url" HW_ACCESS_KEY=SIMAK00000000000000000 \
  HW_SECRET_KEY=SIMSKsecret000000000000000000000000000 HW_PROJECT_ID=5109940fad834a4eb3e408182d3b5786

stats() { curl -fsS "$url/_sim/stats" > "$1"; }
# run PHASE ARGS...: time one reposync run (wall, user+sys CPU, peak RSS).
run() {
  local phase=$1; shift
  stats "$work/before.json"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$bin" "$@" "$work/spec" >"$work/$phase.out" 2>"$work/$phase.err" || {
    code=$?; [ "$phase" = plan ] && [ $code -eq 2 ] || { cat "$work/$phase.err" >&2; exit $code; }; }
  stats "$work/after.json"
  read -r wall user sys rss < <(tail -n1 "$work/time.txt")
  go run ./internal/bench/gen report "$phase" "$work/expected.json" "$work/before.json" "$work/after.json" \
    "$RATE" "$LATENCY_MS" "$wall" "$(echo "$user + $sys" | bc)" "$rss"
}

echo "reposync bench: $N repositories, $(nproc) cores, $(go version | cut -d' ' -f3)"
echo "budget $RATE calls/min per operation, latency ${LATENCY_MS} ms, --concurrency $CONCURRENCY"
run plan plan --rate-limit "$RATE" --concurrency "$CONCURRENCY" --detailed-exitcode --summary
run apply apply --rate-limit "$RATE" --concurrency "$CONCURRENCY" --yes
echo
echo "after apply: $("$bin" plan --rate-limit "$RATE" --summary "$work/spec")"
echo
go test -run '^$' -bench . -benchmem ./internal/spec ./internal/plan/...
