# Sourced by the lab scripts: what a lab run may leave behind on the host, to compare before and after.
tmp=${TMPDIR:-/tmp}
host_state() {
  echo "## network namespaces"; ip netns list 2>/dev/null | sort || true
  echo "## iptables"; iptables -S 2>/dev/null || true
  # Scratch directories are named by SCRATCH_PREFIX in src/lab/run.ts.
  echo "## scratch directories"; find "$tmp" -maxdepth 1 -name 'beneath-lab-scratch-*' | sort
}
# Prints the PIDs of processes still naming a scratch directory that the given lab logs announce
# ("scratch <dir>"): every process a run starts names it in its command line or environment. The
# pattern is read from a file so that grep's own command line does not match it.
survivors() {
  local paths
  paths=$(mktemp "$tmp/beneath-lab-paths-XXXXXX")
  grep -ho 'scratch [^ ;]*' "$@" | cut -d' ' -f2 >"$paths" || true
  if [ -s "$paths" ]; then grep -lsFf "$paths" /proc/[0-9]*/cmdline /proc/[0-9]*/environ || true; fi
  rm -f "$paths"
}
