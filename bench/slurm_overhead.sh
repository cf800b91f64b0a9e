#!/usr/bin/env bash
# flowtoy's overhead per Slurm job (SPEC R35, issue 16's performance target):
# N one-second jobs submitted and watched by flowtoy (`slurm` executor,
# `foreach` over N items) against the same jobs submitted by a plain
# `sbatch` loop and waited for with `squeue`. Overhead per job = (flowtoy's
# time - the loop's time) / N. The two alternate, ROUNDS times each, so a
# machine loaded by other work weighs on both alike.
#
#   cargo build --release -p flowtoy-cli
#   bench/slurm_overhead.sh [N=200] [ROUNDS=3]
#
# Uses the cluster of $SLURM_CONF when set; otherwise starts a one-machine
# cluster in a temp dir (root, Debian's slurm-wlm and munge) and stops it at
# the end, like the tests' harness (tests/common/slurm.rs).
set -euo pipefail
N=${1:-200}
ROUNDS=${2:-3}
cd "$(dirname "$0")/.."
FLOWTOY=${FLOWTOY:-$PWD/target/release/flowtoy}
[ -x "$FLOWTOY" ] || { echo "build flowtoy first: cargo build --release -p flowtoy-cli" >&2; exit 2; }
WORK=$(mktemp -d /tmp/flowtoy-slurm-bench.XXXXXX)
PIDS=()
cleanup() {
  if [ ${#PIDS[@]} -gt 0 ]; then
    scancel --user="$(id -un)" 2>/dev/null || true
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ -z "${SLURM_CONF:-}" ]; then
  C=$WORK/cluster
  mkdir -p "$C"/{munge,state,spool,log}
  chmod 700 "$C/munge"
  head -c 1024 /dev/urandom >"$C/munge/munge.key"; chmod 600 "$C/munge/munge.key"
  H=$(hostname -s)
  cat >"$C/slurm.conf" <<EOF
ClusterName=flowtoybench
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$C/munge/munge.socket
StateSaveLocation=$C/state
SlurmdSpoolDir=$C/spool
SlurmctldPidFile=$C/slurmctld.pid
SlurmdPidFile=$C/slurmd.pid
SlurmctldLogFile=$C/log/slurmctld.log
SlurmdLogFile=$C/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
KillWait=2
MinJobAge=600
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$H NodeAddr=127.0.0.1 CPUs=$N RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$C/slurm.conf
  munged -F -f --key-file="$C/munge/munge.key" --socket="$C/munge/munge.socket" \
    --pid-file="$C/munge/munged.pid" --log-file="$C/log/munged.log" --seed-file="$C/munge/seed" \
    >"$C/log/munged.out" 2>&1 &
  PIDS+=($!)
  until [ -S "$C/munge/munge.socket" ]; do sleep 0.1; done
  slurmctld -D -i -f "$SLURM_CONF" >"$C/log/ctld.out" 2>&1 &
  PIDS+=($!)
  until scontrol ping 2>/dev/null | grep -q "is UP"; do sleep 0.2; done
  slurmd -D -f "$SLURM_CONF" >"$C/log/slurmd.out" 2>&1 &
  PIDS+=($!)
  until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do sleep 0.2; done
fi

now() { date +%s.%N; }

# The plain loop: submit N jobs, wait until squeue shows none of them.
plain() {
  local d=$WORK/plain.$1 ids=()
  mkdir -p "$d"
  printf '#!/bin/bash\nsleep 1\n' >"$d/job.sh"
  local t0; t0=$(now)
  for i in $(seq 1 "$N"); do
    ids+=("$(sbatch --parsable --job-name=plain --output="$d/%j.out" "$d/job.sh")")
  done
  local list; list=$(IFS=,; echo "${ids[*]}")
  while [ -n "$(squeue -h -t PENDING,RUNNING,COMPLETING,CONFIGURING -j "$list" -o %i 2>/dev/null)" ]; do sleep 0.2; done
  echo "$(now) - $t0" | bc
}

# flowtoy: a foreach step of N items on the slurm executor.
flowtoy_run() {
  local d=$WORK/flowtoy.$1
  mkdir -p "$d"
  local items; items=$(seq -s, 1 "$N")
  cat >"$d/f.yaml" <<EOF
runner:
  executor: {type: slurm, configuration: {work_dir: $d/work, max_jobs: $N, poll_interval: 0.2}}
flow:
  - name: sleepers
    foreach: [$items]
    source: {type: process, configuration: {command: [sleep, "1"]}}
EOF
  local t0; t0=$(now)
  (cd "$d" && "$FLOWTOY" run --no-history f.yaml >/dev/null 2>"$d/flowtoy.log")
  echo "$(now) - $t0" | bc
}

echo "jobs per run: $N; rounds: $ROUNDS; machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %12s %12s %16s\n' round "sbatch loop" flowtoy "overhead/job"
for r in $(seq 1 "$ROUNDS"); do
  p=$(plain "$r")
  f=$(flowtoy_run "$r")
  o=$(echo "scale=4; ($f - $p) * 1000 / $N" | bc)
  printf '%-6s %11.2fs %11.2fs %13.1f ms\n' "$r" "$p" "$f" "$o"
done
