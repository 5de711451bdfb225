#!/usr/bin/env bash
# Start a one-node Slurm cluster on loopback for the sweep tests: a munge key and munged on a
# private socket, a slurm.conf naming this host (`hostname -s`) at 127.0.0.1, slurmctld and
# slurmd. Everything lives in DIR (default: a new temp folder); the daemons' pids are in DIR/*.pid
# for slurm_down.sh. Prints DIR/slurm.conf: export SLURM_CONF to it before sbatch/squeue.
#   .ci/slurm_up.sh [DIR]        # needs root and Debian's slurm-wlm and munge
set -euo pipefail
for cmd in munged slurmctld slurmd sbatch squeue; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "slurm_up: $cmd not found (apt-get install slurm-wlm munge)" >&2; exit 3; }
done
dir="$(realpath -m "${1:-$(mktemp -d /tmp/slurm.XXXXXX)}")"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
host="$(hostname -s)"

# Free TCP ports on loopback, so that two clusters (or a system one) do not collide.
free_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "slurm_up: no free port from $1" >&2; exit 1
}
ctld_port="$(free_port 16817)"
slurmd_port="$(free_port $((ctld_port + 1)))"

# munge: a fresh key and a private socket (the system's munged, if any, is left alone).
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"

cpus="$(nproc)"
mem="$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)"
cat >"$dir/slurm.conf" <<CONF
ClusterName=sweeptest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
MinJobAge=300
KillWait=5
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$host"

# Ready when the node is idle (a minute at most).
for _ in $(seq 120); do
  if sinfo -h -N -o '%t' 2>/dev/null | grep -q '^idle'; then echo "$SLURM_CONF"; exit 0; fi
  sleep 0.5
done
echo "slurm_up: the node did not become idle; logs in $dir" >&2
sinfo -N >&2 || true
exit 1
