#!/usr/bin/env bash
# The demo: what `make demo` shows a new user. It starts the simulator on the
# bundled demo fixture (a small organisation whose live state differs from
# examples/realistic in every way a plan can show: creates, updates, deletes,
# a replacement, manual steps, entries not in the spec, a refusal), then walks
# the life of an access-as-code repository: validate -> doctor (ready: the
# caller is a project member who administers the repositories) -> the nightly drift view
# (a repository made in the console among it) -> the pull-request comment (a saved
# plan) -> apply refused by a guardrail -> apply of exactly the reviewed plan -> a
# last plan with only the steps a person must take left -> the console-made
# repository's entry, ready to paste. It stops the simulator at the end. Nothing
# here touches the real cloud.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/reposync
work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

"$bin" version

step "reposync validate examples/minimal examples/realistic (offline, no credentials)"
"$bin" validate examples/minimal
"$bin" validate --warn-expiring 90d examples/realistic

step "reposync sim --fixture examples/demo/fixture.yaml --state (the simulated cloud)"
"$bin" sim --fixture examples/demo/fixture.yaml --state "$work/state.yaml" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
  if [ -s "$work/sim.out" ]; then break; fi
  if ! kill -0 "$sim_pid" 2>/dev/null; then cat "$work/sim.err" >&2; exit 1; fi
  sleep 0.1
done
url=$(head -n1 "$work/sim.out" | sed -n 's/^listening on //p')
if [ -z "$url" ]; then echo "the simulator did not start" >&2; cat "$work/sim.err" >&2; exit 1; fi
echo "simulator at $url"

# The simulator's demo credentials (AK/SK signing, exactly as against the cloud).
export REPOSYNC_ENDPOINT="$url"
export HW_ACCESS_KEY=SIMAK00000000000000000
export HW_SECRET_KEY=SIMSKsecret000000000000000000000000000
export HW_PROJECT_ID=5109940fad834a4eb3e408182d3b5786
export BITBUCKET_PASSWORD=demo-bitbucket-password

step "reposync doctor examples/realistic (is everything the spec needs allowed? changes nothing)"
"$bin" doctor examples/realistic

step "reposync plan examples/realistic (the nightly view: what differs, entries and repositories not in the spec included)"
"$bin" plan examples/realistic

step "reposync plan --format markdown --prune --rotate-secrets --max-deletes 3 --out plan.json (the pull-request comment)"
echo "(a max_deletes of 3 against four deletions: the comment says apply would refuse it)"
"$bin" plan --format markdown --prune --rotate-secrets --max-deletes 3 --out "$work/plan.json" examples/realistic

step "reposync apply --plan plan.json --yes --max-deletes 3 (the guardrail refuses; nothing is written)"
if "$bin" apply --plan "$work/plan.json" --yes --max-deletes 3; then
  echo "apply should have refused the plan" >&2
  exit 1
fi

step "reposync apply --plan plan.json --yes (exactly the reviewed plan, with the spec's max_deletes of 25)"
"$bin" apply --plan "$work/plan.json" --yes

step "reposync plan --prune examples/realistic (after apply: only the steps a person must take are left)"
echo "(and the territory: payments/sandbox/shadow-prod, made in the console, stays drift until the spec lists it)"
"$bin" plan --prune examples/realistic
summary=$("$bin" plan --prune --summary --format json examples/realistic)
for want in '"create": 0' '"update": 0' '"delete": 0' '"replace": 0' '"unlisted": 1'; do
  if ! grep -q "$want" <<<"$summary"; then
    echo "after apply the plan does not say $want:" >&2
    echo "$summary" >&2
    exit 1
  fi
done

step "reposync export --target payments/sandbox/shadow-prod (its entry, ready to paste into the spec)"
"$bin" export --target payments/sandbox/shadow-prod --project 0b234373cf3f4b04ab2d8a245155e12b

step "reposync access --repo payments/api/gateway examples/realistic (who has access, and from where)"
"$bin" access --repo payments/api/gateway examples/realistic

step "simulator calls (GET /_sim/stats)"
if command -v curl >/dev/null; then curl -fsS "$url/_sim/stats"; echo; fi
