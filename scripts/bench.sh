#!/usr/bin/env bash
# make bench: run reposync against the simulator, with a per-operation rate
# limit and a latency, in the scenarios of issue 16, and print for each run
# the calls per operation against the minimum, wall time against the floor,
# 429s, CPU (reposync's and the simulator's) and peak memory, and whether its
# targets were met; then the Go benchmarks of the loader, the planner and the
# renderers. Exit status 1 when a target was missed (every scenario still
# runs).
#
# Scenarios (SCENARIOS, default all four; docs/performance.md):
#   full            N repositories, a spec changing a fraction: plan, apply,
#                   and a plan after the apply that must find nothing to do
#   members         N repositories, a spec managing only members: plan
#   changed-one     SCOPED_N repositories; one repository's members change in
#                   a second commit: plan --changed-since the first
#   changed-policy  SCOPED_N repositories; a new policy reaches 200 of them:
#                   plan --changed-since the first commit
#   walk-start      SCOPED_N repositories at the real budget: a full plan is
#                   started and stopped once its first repository list was
#                   called; the time to that call must be at most 2 s
# Variables:
#   N=1000 (full, members); MEMBERS=12 direct members of each repository
#   besides its creator; RATE calls/min per operation (default 2*N, so the
#   floor of a full read does not grow with N); LATENCY_MS=20.
#   SCOPED_N=10000; SCOPED_RATE=600 (the real gateway's budget);
#   SCOPED_LATENCY_MS=100.
#   CONCURRENCY: default enough workers to keep every read operation busy
#   through the latency.
#   TIMELINE=1: sample /_sim/stats every 0.5 s and print when each operation
#   was called.
#   PROFILE=1: run the simulator and reposync under the CPU profiler, each in
#   its own process; profiles go to PROFILE_DIR (default bin/profiles).
#   GOBENCH=0: skip the Go benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIOS=${SCENARIOS:-full members changed-one changed-policy walk-start}
N=${N:-1000}
SCOPED_N=${SCOPED_N:-10000}
PROFILE=${PROFILE:-0}
PROFILE_DIR=${PROFILE_DIR:-bin/profiles}
TIMELINE=${TIMELINE:-0}
GOBENCH=${GOBENCH:-1}
root=$PWD
bin=$root/bin/reposync
if [ "$PROFILE" = 1 ]; then
  go build -o bin/profiled ./internal/bench/profiled
  mkdir -p "$PROFILE_DIR"
  PROFILE_DIR=$(cd "$PROFILE_DIR" && pwd)
fi
go build -o bin/bench-gen ./internal/bench/gen
gen=./bin/bench-gen
work=$(mktemp -d)
sim_pid=""
sampler_pid=""
stop_sim() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""; fi
  if [ -n "$sim_pid" ]; then kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; sim_pid=""; fi
}
cleanup() { stop_sim; rm -rf "$work"; }
trap cleanup EXIT
missed=()

# start_sim DIR RATE LATENCY_MS NAME: the simulator on DIR/fixture.yaml.
start_sim() {
  local dir=$1 rate=$2 latency=$3 name=$4
  if [ "$PROFILE" = 1 ]; then
    "$root/bin/profiled" "$PROFILE_DIR/$name-sim.prof" sim --fixture "$dir/fixture.yaml" --rate-limit "$rate" --latency "${latency}ms" >"$dir/sim.out" 2>"$dir/sim.err" &
  else
    "$bin" sim --fixture "$dir/fixture.yaml" --rate-limit "$rate" --latency "${latency}ms" >"$dir/sim.out" 2>"$dir/sim.err" &
  fi
  sim_pid=$!
  for _ in $(seq 1 300); do [ -s "$dir/sim.out" ] && break; sleep 0.1; done
  url=$(head -n1 "$dir/sim.out" | sed -n 's/^listening on //p')
  [ -n "$url" ] || { cat "$dir/sim.err" >&2; exit 1; }
  export REPOSYNC_ENDPOINT="$url" HW_ACCESS_KEY=SIMAK00000000000000000 \
    HW_SECRET_KEY=SIMSKsecret000000000000000000000000000 HW_PROJECT_ID=5109940fad834a4eb3e408182d3b5786
}

stats() { curl -fsS "$url/_sim/stats" > "$1"; }
# sim_cpu: the simulator's user+system CPU so far, in seconds.
tick=$(getconf CLK_TCK)
sim_cpu() { awk -v t="$tick" '{printf "%.2f", ($14 + $15) / t}' "/proc/$sim_pid/stat"; }

# run DIR SCENARIO PHASE RATE LATENCY_MS OK_CODES WHERE ARGS...: time one
# reposync run in the directory WHERE (wall, user+sys CPU, peak RSS) and
# report it; an exit code not in OK_CODES (a comma list) stops the bench.
run() {
  local dir=$1 scenario=$2 phase=$3 rate=$4 latency=$5 ok=$6 where=$7; shift 7
  local cmd=("$bin")
  [ "$PROFILE" = 1 ] && cmd=("$root/bin/profiled" "$PROFILE_DIR/$scenario-$phase.prof")
  stats "$dir/before.json"
  local sim_before; sim_before=$(sim_cpu)
  : >"$dir/samples.txt"
  if [ "$TIMELINE" = 1 ]; then
    ( while :; do printf '%s %s\n' "$(date +%s.%N)" "$(curl -fsS "$url/_sim/stats")" >>"$dir/samples.txt"; sleep 0.5; done ) &
    sampler_pid=$!
  fi
  local code=0
  (cd "$where" && /usr/bin/time -f '%e %U %S %M' -o "$dir/time.txt" "${cmd[@]}" "$@") >"$dir/$phase.out" 2>"$dir/$phase.err" || code=$?
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""; fi
  if [[ ",$ok," != *",$code,"* ]]; then
    echo "reposync $phase exited $code" >&2; cat "$dir/$phase.err" >&2; exit 1
  fi
  stats "$dir/after.json"
  local sim_used; sim_used=$(echo "$(sim_cpu) - $sim_before" | bc)
  read -r wall user sys rss < <(tail -n1 "$dir/time.txt")
  local samples=()
  [ "$TIMELINE" = 1 ] && samples=(-samples "$dir/samples.txt")
  "$gen" report -expected "$dir/expected.json" -phase "$phase" -before "$dir/before.json" -after "$dir/after.json" \
    -rate "$rate" -latency-ms "$latency" -wall "$wall" -cpu "$(echo "$user + $sys" | bc)" -sim-cpu "$sim_used" -rss-kb "$rss" "${samples[@]}" ||
    missed+=("$scenario $phase")
}

# workers RATE LATENCY_MS: enough to keep 4 read operations busy through
# the latency (RATE/60 calls a second each, each in flight for the
# latency), doubled, at least 8.
workers() {
  local c=$(( 4 * $1 / 60 * $2 / 1000 * 2 ))
  echo "${CONCURRENCY:-$(( c > 8 ? c : 8 ))}"
}

echo "reposync bench: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%d)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

for scenario in $SCENARIOS; do
  dir="$work/$scenario"
  case $scenario in
  full|members)
    rate=${RATE:-$((2 * N))}; latency=${LATENCY_MS:-20}; n=$N ;;
  changed-one|changed-policy|walk-start)
    rate=${SCOPED_RATE:-600}; latency=${SCOPED_LATENCY_MS:-100}; n=$SCOPED_N ;;
  *) echo "unknown scenario $scenario" >&2; exit 2 ;;
  esac
  conc=$(workers "$rate" "$latency")
  "$gen" -n "$n" -members "${MEMBERS:-12}" -scenario "$scenario" -out "$dir"
  echo
  echo "## $scenario: $n repositories; budget $rate calls/min per operation, latency ${latency} ms, --concurrency $conc"
  start_sim "$dir" "$rate" "$latency" "$scenario"
  flags=(--rate-limit "$rate" --concurrency "$conc")
  case $scenario in
  full)
    run "$dir" "$scenario" plan "$rate" "$latency" 2 "$root" plan "${flags[@]}" --detailed-exitcode --summary "$dir/spec"
    run "$dir" "$scenario" apply "$rate" "$latency" 0 "$root" apply "${flags[@]}" --yes "$dir/spec"
    after=0
    summary=$("$bin" plan "${flags[@]}" --detailed-exitcode --summary "$dir/spec" 2>"$dir/after.err") || after=$?
    echo
    echo "after apply: $summary"
    if [ $after -ne 0 ]; then echo "- a plan after the apply finds nothing to do: MISSED (exit $after)"; missed+=("full after-apply"); else echo "- a plan after the apply finds nothing to do: ok"; fi
    ;;
  members)
    run "$dir" "$scenario" plan "$rate" "$latency" 2 "$root" plan "${flags[@]}" --detailed-exitcode --summary "$dir/spec"
    ;;
  changed-one|changed-policy)
    repo="$dir/repo"
    mkdir -p "$repo"
    cp -r "$dir/spec" "$repo/spec"
    g() { git -C "$repo" -c user.name=bench -c user.email=bench@example.invalid -c commit.gpgsign=false "$@"; }
    g init -q && g add -A && g commit -qm base
    base=$(g rev-parse HEAD)
    cp -r "$dir/edit/." "$repo/spec/"
    g add -A && g commit -qm edit
    run "$dir" "$scenario" scoped "$rate" "$latency" 2 "$repo" plan "${flags[@]}" --detailed-exitcode --summary --changed-since "$base" spec
    grep -E 'changed-since|planning' "$dir/scoped.err" | sed 's/^/reposync: /' || true
    ;;
  walk-start)
    # A full plan of SCOPED_N repositories takes about N/10 s at the real
    # budget; only its start is timed: from starting reposync to the first
    # ListMembers call, polling the simulator's counters every 20 ms.
    calls() { curl -fsS "$url/_sim/stats" | sed -n 's/.*"ListMembers":\([0-9]*\).*/\1/p'; }
    t0=$(date +%s.%N)
    "$bin" plan "${flags[@]}" "$dir/spec" >"$dir/walk.out" 2>"$dir/walk.err" &
    plan_pid=$!
    first=""
    for _ in $(seq 1 1500); do
      if [ -n "$(calls)" ]; then first=$(echo "$(date +%s.%N) - $t0" | bc); break; fi
      kill -0 "$plan_pid" 2>/dev/null || break
      sleep 0.02
    done
    kill -INT "$plan_pid" 2>/dev/null || true
    wait "$plan_pid" 2>/dev/null || true
    echo
    if [ -n "$first" ] && [ "$(echo "$first <= 2" | bc)" = 1 ]; then
      printf -- '- the first repository read %.2f s after reposync started (at most 2 s): ok\n' "$first"
    else
      echo "- the first repository read ${first:-never} s after reposync started (at most 2 s): MISSED"; cat "$dir/walk.err" >&2; missed+=("walk-start")
    fi
    ;;
  esac
  stop_sim
done

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$GOBENCH" = 1 ]; then
  echo
  go test -run '^$' -bench . -benchmem ./internal/spec ./internal/plan/...
fi
if [ ${#missed[@]} -gt 0 ]; then
  echo
  echo "targets missed in: ${missed[*]}"
  exit 1
fi
