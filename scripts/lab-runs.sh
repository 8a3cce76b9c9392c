#!/usr/bin/env bash
# Runs lab scenarios one after the other, each several times (usage: scripts/lab-runs.sh <rounds>
# <scenario>...; round by round, so a short session still covers every scenario), and appends one
# Markdown table row per run to $LAB_RUNS_OUT/runs.md: the diagnosis through the live source (as the
# lab made it while its Prometheus ran), the one `beneath analyze` makes from the exported files,
# whether each matches the run's truth, the wall time, and whether the run left a network namespace
# (with its links and firewall rules), its scratch directory or a process behind. A run that misses keeps its recording in
# $LAB_RUNS_OUT/<scenario>-<n>/ as evidence; a right one's is deleted. Exits 1 when any run missed,
# failed or left something behind.
# LAB_RUNS_FLAGS sets the lab's timings (default: --after-alert 45s, the CI timing); LAB_ENGINE the
# built checkout to run (default: this one).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 1 ] && [ "$1" -gt 0 ] 2>/dev/null || { echo "usage: scripts/lab-runs.sh <rounds> <scenario>..." >&2; exit 2; }
rounds=$1
shift
read -r -a flags <<<"${LAB_RUNS_FLAGS:---after-alert 45s}"
engine=${LAB_ENGINE:-.}
. scripts/lab-host-state.sh
results=${LAB_RUNS_OUT:-$tmp/beneath-lab-runs}
mkdir -p "$results"
table=$results/runs.md
[ -s "$table" ] || {
  echo "| scenario | run | live source | exported files | right | wall time | left behind |"
  echo "|---|---|---|---|---|---|---|"
} >"$table"

failed=0
for ((round = 1; round <= rounds; round++)); do
  for scenario in "$@"; do
    n=$(($(grep -c "^| $scenario | " "$table" || true) + 1))
    out=$results/$scenario-$n
    started=$(date +%s)
    rc=0
    node "$engine/dist/src/cli/main.js" lab "$scenario" "${flags[@]}" --out "$out" >"$out.log" 2>&1 &
    pid=$!
    wait "$pid" || rc=$?
    took=$(($(date +%s) - started))
    # What is this run's own, so that other runs and tests on the host are not counted: its network
    # namespaces are named after its PID (src/lab/netns.ts; their links and firewall rules live and go
    # with them), its scratch directory is in its log, and so is every process it started.
    left=$(ip netns list 2>/dev/null | grep -c "^beneath-lab-$pid-" || true)
    scratch=$(grep -ho 'scratch [^ ;]*' "$out.log" | cut -d' ' -f2 || true)
    [ -n "$scratch" ] && [ -e "$scratch" ] && left=$((left + 1))
    left=$((left + $(survivors "$out.log" | wc -l)))
    if [ "$rc" -ne 0 ] || [ ! -s "$out/live-diagnosis.json" ]; then
      live="lab exit $rc: $(grep -m1 '^beneath' "$out.log" || tail -n1 "$out.log")"
      files="-"
      right=no
    else
      alert=$(jq -r .alert_time "$out/truth.json")
      node "$engine/dist/src/cli/main.js" analyze "$out/case" --at "$alert" --format json >"$out/files-diagnosis.json"
      IFS=$'\t' read -r live_verdict live < <(node scripts/lab-verdict.mjs "$engine" "$out/truth.json" "$out/live-diagnosis.json")
      IFS=$'\t' read -r files_verdict files < <(node scripts/lab-verdict.mjs "$engine" "$out/truth.json" "$out/files-diagnosis.json")
      right=$([ "$live_verdict" = match ] && [ "$files_verdict" = match ] && echo yes || echo no)
      live="$live ($live_verdict)"
      files="$files ($files_verdict)"
    fi
    [ "$left" -eq 0 ] && behind=nothing || behind="$left item(s)"
    echo "| $scenario | $n | $live | $files | $right | ${took}s | $behind |" | tee -a "$table"
    if [ "$right" = yes ] && [ "$left" -eq 0 ]; then
      rm -rf "$out" "$out.log"
    else
      failed=1
    fi
  done
done
exit "$failed"
