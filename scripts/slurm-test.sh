#!/usr/bin/env bash
# The sweep on a real single-node Slurm: munged, slurmctld and slurmd started
# here with a generated slurm.conf in a temporary folder; the quick sweep's
# 16 runs (experiments/quick.toml on generated data, simulated runner: each
# run 4 epochs of 0.4 s, so the machinery is tested, not the training) as a
# 4-task array through `powertrain sweep --slurm --slurm-wait`; one task
# killed mid-run with `scancel --batch --signal=KILL`, one stopped with SIGTERM (what
# a time limit sends first), both requeued with `scontrol requeue`; then the
# merged database is checked: every run done exactly once, the Slurm fields
# stored; `srun powertrain track` records them too; the daemons are stopped
# by their pids. A one-minute job beside it checks the time limit: TIMEOUT,
# its run in progress back to pending.
# Usage: scripts/slurm-test.sh [POWERTRAIN]  (default build/bin/powertrain)
# Needs root and the packages slurmctld slurmd slurm-client munge sqlite3;
# exits 0 with "skipped" otherwise (exit 77 with SLURM_TEST_STRICT=1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PT=$(realpath "${1:-build/bin/powertrain}")
T0=$(date +%s)

skip() {
  echo "slurm-test: skipped: $*"
  if [ "${SLURM_TEST_STRICT:-0}" = 1 ]; then exit 77; fi
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root to start munged, slurmctld and slurmd"
for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo sqlite3 setpriv; do
  command -v "$tool" >/dev/null || skip "'$tool' is missing (scripts/setup.sh installs slurmctld slurmd slurm-client munge sqlite3)"
done
id munge >/dev/null 2>&1 || skip "no 'munge' user (package munge)"
[ -x "$PT" ] || { echo "slurm-test: FAIL: no powertrain at $PT" >&2; exit 1; }

TMP=$(mktemp -d /tmp/powertrain-slurm.XXXXXX)
chmod 755 "$TMP"
PIDS=()       # daemons started here: munged slurmctld slurmd
NAMES=()
JOB=""
fail() {
  echo "slurm-test: FAIL: $*" >&2
  [ -n "$JOB" ] && timeout 10 scontrol show job "$JOB" >&2
  for f in "$TMP"/log/*.log "$TMP"/work/*.out; do
    [ -f "$f" ] && { echo "--- $f (last lines)" >&2; tail -n 25 "$f" >&2; }
  done
  exit 1
}
cleanup() {
  local rc=$?
  set +e
  # Jobs still there (a failed check) are cancelled and waited for, so that
  # no task outlives the daemons.
  for j in "$JOB" "${LIMIT_JOB:-}"; do
    [ -n "$j" ] && timeout 10 scancel "$j" >/dev/null 2>&1
  done
  [ -n "$JOB" ] && timeout 30 bash -c 'while [ -n "$(squeue -h 2>/dev/null)" ]; do sleep 0.5; done'
  [ -n "${SWEEP_PID:-}" ] && kill "$SWEEP_PID" 2>/dev/null
  # Stop the daemons in reverse order, by the pids recorded when started.
  local i stopped=0
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null
  done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    if timeout 15 tail --pid="${PIDS[i]}" -f /dev/null; then
      stopped=$((stopped + 1))
    else
      echo "slurm-test: ${NAMES[i]} (pid ${PIDS[i]}) ignored SIGTERM; SIGKILL" >&2
      kill -KILL "${PIDS[i]}" 2>/dev/null
      rc=1
    fi
  done
  for ((i = 0; i < ${#PIDS[@]}; i++)); do
    if kill -0 "${PIDS[i]}" 2>/dev/null; then
      echo "slurm-test: FAIL: ${NAMES[i]} (pid ${PIDS[i]}) still alive" >&2
      rc=1
    fi
  done
  [ ${#PIDS[@]} -gt 0 ] && echo "slurm-test: daemons stopped by pid: ${stopped}/${#PIDS[@]} (${NAMES[*]})"
  if [ "$rc" = 0 ] && [ "${SLURM_TEST_KEEP:-0}" != 1 ]; then rm -rf "$TMP"; else echo "slurm-test: files kept in $TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local limit=$1; shift
  timeout "$limit" bash -c "until $*; do sleep 0.2; done" || return 1
}

HOST=$(hostname -s)
NCPU=$(nproc)
mkdir -p "$TMP"/{munge,state,spool,log,work}
chown munge:munge "$TMP/munge"
chmod 700 "$TMP/munge"

# munge: its own key and socket, run as the munge user.
mungekey --create --keyfile="$TMP/munge/munge.key" >/dev/null 2>&1 ||
  dd if=/dev/urandom of="$TMP/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$TMP/munge/munge.key"
chmod 400 "$TMP/munge/munge.key"
setpriv --reuid=munge --regid=munge --init-groups munged --foreground --force \
  --key-file="$TMP/munge/munge.key" --socket="$TMP/munge/munge.sock" \
  --pid-file="$TMP/munge/munged.pid" --seed-file="$TMP/munge/munge.seed" \
  --log-file="$TMP/log/munged.log" >/dev/null 2>&1 &
PIDS+=($!); NAMES+=(munged)
wait_for 15 "[ -S '$TMP/munge/munge.sock' ]" || fail "munged did not start"

# Free-looking ports, so a Slurm already on this machine is not disturbed.
PORT=$((20000 + RANDOM % 20000))
cat >"$TMP/slurm.conf" <<EOF
ClusterName=powertrain-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TMP/munge/munge.sock,cred_expire=10
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/log/slurmctld.log
SlurmdLogFile=$TMP/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
InactiveLimit=0
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$TMP/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$TMP/log/slurmctld.stdout" 2>&1 &
PIDS+=($!); NAMES+=(slurmctld)
slurmd -D -f "$SLURM_CONF" >"$TMP/log/slurmd.stdout" 2>&1 &
PIDS+=($!); NAMES+=(slurmd)
wait_for 60 "sinfo -h -o %T 2>/dev/null | grep -qx idle" || fail "the node did not become idle"
echo "slurm-test: Slurm $(sinfo -V | awk '{print $2}') up on $HOST ($NCPU CPUs), files in $TMP"

# A time limit: a one-task job of 1 minute whose sweep needs longer (16
# runs of 12 s); Slurm sends SIGTERM at the limit. Runs beside the array.
mkdir -p "$TMP/limit"
"$PT" sweep "$ROOT/experiments/quick.toml" --data "<generated>" --db "$TMP/limit/quick.db" \
  --slurm --slurm-tasks 1 --slurm-time 1 --simulate-ms 3000 --simulate-epochs 4 >"$TMP/limit/sweep.out" 2>&1 ||
  fail "time-limit job: $(cat "$TMP/limit/sweep.out")"
LIMIT_JOB=$(sed -n 's/.* as Slurm job \([0-9]*\):.*/\1/p' "$TMP/limit/sweep.out")

# The sweep, as a user submits it.
cd "$TMP/work"
DB=$TMP/work/quick.db
timeout 240 "$PT" sweep "$ROOT/experiments/quick.toml" --data "<generated>" --db "$DB" \
  --slurm --slurm-tasks 4 --slurm-time 00:10:00 --slurm-wait --slurm-poll-s 0.3 \
  --simulate-ms 400 --simulate-epochs 4 >"$TMP/work/sweep.out" 2>&1 &
SWEEP_PID=$!
wait_for 30 "grep -q 'as Slurm job' '$TMP/work/sweep.out'" || fail "no job id: $(cat "$TMP/work/sweep.out")"
JOB=$(sed -n 's/.* as Slurm job \([0-9]*\):.*/\1/p' "$TMP/work/sweep.out")
echo "slurm-test: submitted array job $JOB"

# Stops array task $1 once it is inside its second run, with scancel
# options $2..., then requeues it.
interrupt_and_requeue() {
  local task=$1; shift
  local shard=$((task + 1))
  local sdb="$TMP/work/quick.shard-$shard-of-4.db"
  local q="SELECT count(*) FROM runs WHERE status='done'"
  wait_for 90 "[ -f '$sdb' ] && [ \"\$(sqlite3 '$sdb' \"$q\" 2>/dev/null)\" -ge 1 ] &&
    [ \"\$(sqlite3 '$sdb' \"SELECT count(*) FROM runs WHERE status='running'\" 2>/dev/null)\" = 1 ]" ||
    fail "task $task never reached its second run"
  # scancel may report "Job can not be altered now" once the signal ended
  # the task; what the task did is checked in its log below.
  scancel "$@" "${JOB}_$task" 2>/dev/null || true
  # Requeue once Slurm has seen the task end (it refuses a task still ending).
  wait_for 60 "scontrol requeue ${JOB}_$task 2>/dev/null" || fail "scontrol requeue ${JOB}_$task failed"
  # Slurm holds a requeued job back (BeginTime, 2 minutes); let it go now.
  scontrol update JobId="${JOB}_$task" StartTime=now 2>/dev/null || true
  echo "slurm-test: task $task: scancel $* mid-run, then requeued ($(( $(date +%s) - T0 )) s)"
}
interrupt_and_requeue 1 --batch --signal=TERM
interrupt_and_requeue 2 --batch --signal=KILL

wait "$SWEEP_PID" || { rc=$?; SWEEP_PID=""; fail "sweep --slurm-wait exited $rc: $(tail -n 30 "$TMP/work/sweep.out")"; }
SWEEP_PID=""
cat "$TMP/work/sweep.out"

# Every run of the experiment exactly once, and done.
sql() { sqlite3 "$DB" "$1"; }
[ "$(sql "SELECT count(*) FROM runs")" = 16 ] || fail "merged database holds $(sql "SELECT count(*) FROM runs") runs, not 16"
[ "$(sql "SELECT count(DISTINCT setup || '/' || repeat || '/' || role) FROM runs")" = 16 ] || fail "a run is there twice"
[ "$(sql "SELECT count(*) FROM runs WHERE status='done'")" = 16 ] || fail "not every run is done: $(sql "SELECT id, setup, status FROM runs WHERE status!='done'")"
# Slurm fields: job, array task 0..3, node, on every run.
FIELDS=$(sql "SELECT count(*) FROM runs WHERE json_extract(config,'$.slurm.array_job_id')='$JOB'
  AND json_extract(config,'$.slurm.array_task_id') IN ('0','1','2','3')
  AND json_extract(config,'$.slurm.node')='$HOST'
  AND json_extract(config,'$.slurm.job_id')!=''
  AND json_extract(config,'$.slurm.node_energy') LIKE 'node-wide%'")
[ "$FIELDS" = 16 ] || fail "Slurm fields stored on $FIELDS of 16 runs"
[ "$(sql "SELECT count(DISTINCT json_extract(config,'$.slurm.array_task_id')) FROM runs")" = 4 ] || fail "not 4 array tasks"
# The two interrupted runs: redone by the requeued task (restart 1), with
# the interrupted attempt kept; the killed one's epochs marked partial.
REQUEUED=$(sql "SELECT count(*) FROM runs WHERE json_extract(config,'$.slurm.restart_count')>=1
  AND json_array_length(json_extract(config,'$.interrupted_attempts'))=1
  AND json_extract(config,'$.slurm.array_task_id') IN ('1','2')")
[ "$REQUEUED" = 2 ] || fail "requeued runs with their interrupted attempt: $REQUEUED, not 2"
grep -q "rerunning run" "$TMP"/work/quick.slurm-"${JOB}"_2.out || fail "the killed task's rerun is not in its log"
grep -q "interrupted (signal 15)" "$TMP"/work/quick.slurm-"${JOB}"_1.out || fail "the SIGTERM task did not set its run back to pending"
"$PT" status "$ROOT/experiments/quick.toml" --db "$DB" | grep -q "16/16 runs finished" || fail "status does not show 16/16"

# `track` inside a job step records the same Slurm fields.
timeout 60 srun --ntasks=1 --job-name=powertrain-track -- "$PT" track --sensors model --db "$TMP/work/track.db" \
  --interval 0.1 -- sh -c 'echo epoch 1; sleep 0.5; echo epoch 2; sleep 0.5' >"$TMP/work/track.out" 2>&1 ||
  fail "srun powertrain track: $(cat "$TMP/work/track.out")"
TRACKED=$(sqlite3 "$TMP/work/track.db" "SELECT json_extract(config,'$.slurm.job_id') || ' ' ||
  json_extract(config,'$.slurm.node') FROM runs WHERE kind='track'")
case "$TRACKED" in
  [0-9]*" $HOST") ;;
  *) fail "track in a job step stored Slurm fields '$TRACKED'" ;;
esac

# The time-limited job: ended by Slurm (TIMEOUT), its run in progress set
# back to pending by the SIGTERM, nothing left running.
wait_for 150 "[ -z \"\$(squeue -h -j $LIMIT_JOB 2>/dev/null)\" ]" || fail "time-limit job $LIMIT_JOB still queued"
scontrol show job "$LIMIT_JOB" | grep -q "JobState=TIMEOUT" || fail "job $LIMIT_JOB did not end by its time limit: $(scontrol show job "$LIMIT_JOB" | grep JobState)"
grep -q "interrupted (signal 15)" "$TMP"/limit/quick.slurm-"${LIMIT_JOB}"_0.out || fail "the time limit's SIGTERM did not set the run back to pending"
LDB=$TMP/limit/quick.db
LIMIT_DONE=$(sqlite3 "$LDB" "SELECT count(*) FROM runs WHERE status='done'")
[ "$(sqlite3 "$LDB" "SELECT count(*) FROM runs WHERE status='running'")" = 0 ] || fail "a run is left running after the time limit"
[ "$(sqlite3 "$LDB" "SELECT count(*) FROM runs WHERE status='pending'
  AND json_array_length(json_extract(config,'$.interrupted_attempts'))=1")" = 1 ] || fail "no interrupted run set back to pending"

echo "slurm-test: PASS: 16/16 runs done exactly once; requeues survived: $REQUEUED (scancel KILL, SIGTERM); time limit: $LIMIT_DONE runs done, the one in progress back to pending; Slurm fields on $FIELDS runs and on srun track (job ${TRACKED% *}); wall time $(( $(date +%s) - T0 )) s"
