#!/usr/bin/env bash
# Runs lab scenarios end to end side by side with --check (usage: scripts/lab-ci.sh <scenario>...),
# prints each run's output, and fails when any diagnosis misses, any run fails, or the runs leave a
# network namespace, an iptables rule, a scratch directory or a process behind.
# LAB_CI_FLAGS overrides the timings (default: 45 s of traffic after the alert instead of 90 s; both
# connection-collapse diagnoses stay right, and the pair takes about 5 minutes side by side). The
# baseline stays 180 s: the engine's reference is a recording's first 5 minutes, which must be mostly healthy.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/lab-ci.sh <scenario>..." >&2; exit 2; }
read -r -a flags <<<"${LAB_CI_FLAGS:---after-alert 45s}"
. scripts/lab-host-state.sh
out=$(mktemp -d "$tmp/beneath-lab-ci-XXXXXX")
host_state >"$out/before"

pids=()
started=$(date +%s)
for scenario in "$@"; do
  node dist/src/cli/main.js lab "$scenario" --check "${flags[@]}" --out "$out/$scenario" >"$out/$scenario.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  scenario=${*:i+1:1}
  if wait "${pids[$i]}"; then status=ok; else status="FAILED (exit $?)"; failed=1; fi
  echo "=== lab $scenario: $status"
  cat "$out/$scenario.log"
done
echo "lab runs took $(($(date +%s) - started))s"

host_state >"$out/after"
if ! diff -u "$out/before" "$out/after"; then
  echo "lab runs left the above behind" >&2
  failed=1
fi
left=$(survivors "$out"/*.log)
if [ -n "$left" ]; then
  echo "processes the lab started are still running: $left" >&2
  failed=1
fi
rm -rf "$out"
exit "$failed"
