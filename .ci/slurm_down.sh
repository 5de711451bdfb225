#!/usr/bin/env bash
# Stop the cluster slurm_up.sh started in DIR, each daemon by the pid it wrote there.
#   .ci/slurm_down.sh DIR
set -uo pipefail
dir="${1:?usage: slurm_down.sh DIR}"
for name in slurmd slurmctld munged; do
  pidfile="$dir/$name.pid"
  [ -s "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
done
exit 0
