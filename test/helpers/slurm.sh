#!/usr/bin/env bash
# A single-node Slurm cluster on 127.0.0.1 for tests and benchmarks, without systemd.
#
#   test/helpers/slurm.sh start   # starts one, or reuses the one this script started; prints SLURM_CONF=<path>
#   test/helpers/slurm.sh stop    # stops the daemons this script started and removes their directory
#   test/helpers/slurm.sh status  # exit 0 when a cluster started by this script answers
#
# Only one cluster can run on a machine (slurmctld and slurmd listen on the fixed ports 6817 and
# 6818), so its state lives in one fixed directory ($MLP_SLURM_DIR, default /tmp/mlp-slurm), and a
# cluster found there that answers is reused rather than started twice. Everything else is private
# to that directory: munged gets its own key, socket, pid and log files (slurm.conf points
# auth/munge at that socket), slurm's state, spool, pid and log files live there too, and clients
# find the cluster through SLURM_CONF. Needs root (Debian's slurm-wlm and munge packages).
#
# Tuned for latency, not throughput (see bench/README.md): the main scheduler and the backfill
# scheduler run often, jobs are started as soon as they are submitted, and finished jobs stay
# visible to `scontrol show job` for 300 s (MinJobAge) since there is no accounting (no sacct).
set -euo pipefail

dir=${MLP_SLURM_DIR:-/tmp/mlp-slurm}
conf=$dir/slurm.conf

answers() {
  [ -f "$conf" ] || return 1
  SLURM_CONF=$conf timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' || return 1
  # The node must be usable, not just the controller.
  local state
  state=$(SLURM_CONF=$conf timeout 5 sinfo -h -N -o '%T' 2>/dev/null | head -1)
  case "$state" in idle | mixed | allocated | completing) return 0 ;; *) return 1 ;; esac
}

stop_pidfile() {
  local file=$1
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  [ -d "$dir" ] || return 0
  # Jobs first, so that slurmd does not leave their processes behind.
  if [ -f "$conf" ]; then SLURM_CONF=$conf timeout 5 scancel --user=root 2>/dev/null || true; fi
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
  rm -rf "$dir"
}

start() {
  if answers; then
    echo "SLURM_CONF=$conf"
    echo "reused" >&2
    return 0
  fi
  [ "$(id -u)" = 0 ] || { echo "slurm.sh: needs root to start slurmd" >&2; exit 2; }
  for bin in munged slurmctld slurmd sbatch scontrol; do
    command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || { echo "slurm.sh: $bin is not installed (apt-get install slurm-wlm munge)" >&2; exit 2; }
  done
  stop # a half-started or dead cluster of an earlier run
  mkdir -p "$dir"/{state,spool,log}
  chmod 0755 "$dir"

  # munged refuses keys others can read and directories others can write to (its socket directory
  # must be searchable by all), and must not run as root.
  install -d -m 0755 -o munge -g munge "$dir/munge"
  head -c 1024 /dev/urandom >"$dir/munge/munge.key"
  chown munge:munge "$dir/munge/munge.key"
  chmod 0400 "$dir/munge/munge.key"
  setpriv --reuid=munge --regid=munge --init-groups \
    /usr/sbin/munged -F --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    </dev/null >>"$dir/log/munged.out" 2>&1 &
  for _ in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
  [ -S "$dir/munge/munge.socket" ] || { echo "slurm.sh: munged did not start:" >&2; cat "$dir/log/munged.out" "$dir/munge/munged.log" >&2 2>/dev/null || true; exit 1; }

  # The node, named localhost; a little memory is kept back for the OS. It offers at least 8 cpus
  # (config_overrides lets slurmd accept more than the machine has): the tests' and the
  # benchmark's jobs are tiny, and -j 8 must be able to run 8 of them at once on a 2-core machine.
  local cpus mem
  cpus=$(nproc)
  [ "$cpus" -ge 8 ] || cpus=8
  mem=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  cat >"$conf" <<EOF
ClusterName=mlptest
SlurmctldHost=localhost(127.0.0.1)
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
MpiDefault=none
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MinJobAge=300
KillWait=2
OverTimeLimit=0
InactiveLimit=0
# Latency: schedule at each submission and completion, at most every 50 ms, and look again every 1 s.
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=50000,sched_interval=1,bf_interval=1,defer_batch=0
MessageTimeout=10
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  # The GPU node type is not described (no gres.conf): a job asking for --gres=gpu is refused by Slurm.

  setsid /usr/sbin/slurmctld -D -i -f "$conf" </dev/null >>"$dir/log/slurmctld.out" 2>&1 &
  setsid /usr/sbin/slurmd -D -f "$conf" -N localhost </dev/null >>"$dir/log/slurmd.out" 2>&1 &
  for _ in $(seq 150); do
    if answers; then
      echo "SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.2
  done
  echo "slurm.sh: the cluster did not come up in 30 s; logs in $dir/log:" >&2
  tail -n 20 "$dir/log/"*.log "$dir/log/"*.out >&2 2>/dev/null || true
  exit 1
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
