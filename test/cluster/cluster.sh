#!/usr/bin/env bash
# A real single-node SLURM cluster for run-inspect's real-cluster tests.
#
#   cluster.sh start [--dir DIR] [--qos-max-submit N] [--no-accounting] [--no-job-comment]
#                    [--min-job-age S] [--user NAME]... [--fresh] [--no-etc-link]
#   cluster.sh stop   [--dir DIR]
#   cluster.sh status [--dir DIR]
#   cluster.sh env    [--dir DIR]     print the `export SLURM_CONF=...` line
#
# Must run as root. Installs Debian's packages if missing (slurmctld slurmd
# slurm-client slurmdbd munge mariadb-server), writes every config into DIR
# (default /tmp/run-inspect-slurm), starts munged, MariaDB (127.0.0.1 only,
# own datadir), slurmdbd, slurmctld and slurmd in the foreground mode of each
# daemon, records their pids in DIR/pids, and waits until the node is idle.
# Clients find the cluster through SLURM_CONF=DIR/etc/slurm.conf (DIR/env.sh)
# and, unless --no-etc-link, through a symlink /etc/slurm/slurm.conf -> it.
# See test/cluster/README.md.
set -euo pipefail

PROG=$(basename "$0")
DIR=${RUN_INSPECT_SLURM_DIR:-/tmp/run-inspect-slurm}
QOS_MAX_SUBMIT=""
ACCOUNTING=1
JOB_COMMENT=1
MIN_JOB_AGE=300
EXTRA_USERS=()
FRESH=0
ETC_LINK=1
CLUSTER_NAME=runinspect
ACCOUNT_NAME=runinspect
DB_PORT=${RUN_INSPECT_SLURM_DB_PORT:-13306}
NODE_CPUS=16
NODE_MEM_MB=64000
NODE_GPUS=4
WAIT_IDLE_S=60
ETC_CONF=/etc/slurm/slurm.conf
ETC_BACKUP=/etc/slurm/slurm.conf.run-inspect-backup
PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server)

log() { printf '[%s %s] %s\n' "$PROG" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

# ---------------------------------------------------------------- arguments
CMD=${1:-}
[ $# -gt 0 ] && shift
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?--dir needs a value}; shift 2 ;;
    --dir=*) DIR=${1#*=}; shift ;;
    --qos-max-submit) QOS_MAX_SUBMIT=${2:?--qos-max-submit needs a value}; shift 2 ;;
    --qos-max-submit=*) QOS_MAX_SUBMIT=${1#*=}; shift ;;
    --no-accounting) ACCOUNTING=0; shift ;;
    --no-job-comment) JOB_COMMENT=0; shift ;;
    --min-job-age) MIN_JOB_AGE=${2:?--min-job-age needs a value}; shift 2 ;;
    --min-job-age=*) MIN_JOB_AGE=${1#*=}; shift ;;
    --user) EXTRA_USERS+=("${2:?--user needs a value}"); shift 2 ;;
    --user=*) EXTRA_USERS+=("${1#*=}"); shift ;;
    --fresh) FRESH=1; shift ;;
    --no-etc-link) ETC_LINK=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
case "$QOS_MAX_SUBMIT" in ''|[0-9]*) ;; *) die "--qos-max-submit wants a number, got '$QOS_MAX_SUBMIT'" ;; esac
case "$MIN_JOB_AGE" in [0-9]*) ;; *) die "--min-job-age wants seconds, got '$MIN_JOB_AGE'" ;; esac
[ -n "$QOS_MAX_SUBMIT" ] && [ "$ACCOUNTING" = 0 ] && die "--qos-max-submit needs accounting (drop --no-accounting)"
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac
DIR=${DIR%/}

ETC=$DIR/etc
RUN=$DIR/run
LOGS=$DIR/log
PIDS=$DIR/pids
SLURM_CONF_FILE=$ETC/slurm.conf
export SLURM_CONF=$SLURM_CONF_FILE

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (sudo $0 $CMD ...)"; }

# ------------------------------------------------------------ pid bookkeeping
# DIR/pids holds one "name pid" line per daemon this script started.
pid_of() {
  if [ -f "$PIDS" ]; then awk -v n="$1" '$1==n {p=$2} END {print p}' "$PIDS"; fi
}

# Is pid alive and still the program we started (guards against pid reuse)?
pid_is() {
  local pid=$1 exe=$2
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  [[ "$cmd" == *"$exe"* ]]
}

daemon_exe() {
  case "$1" in
    munged) echo munged ;;
    mariadbd) echo mariadbd ;;
    slurmdbd) echo slurmdbd ;;
    slurmctld) echo slurmctld ;;
    slurmd) echo slurmd ;;
  esac
}

record_pid() {
  touch "$PIDS"
  grep -v "^$1 " "$PIDS" >"$PIDS.tmp" || true
  echo "$1 $2" >>"$PIDS.tmp"
  mv "$PIDS.tmp" "$PIDS"
}

forget_pid() {
  [ -f "$PIDS" ] || return 0
  grep -v "^$1 " "$PIDS" >"$PIDS.tmp" || true
  mv "$PIDS.tmp" "$PIDS"
}

# start_daemon NAME LOGFILE CMD...: run CMD in the foreground mode of the daemon,
# detached (own session, stdin /dev/null, output to LOGFILE) so it never holds
# the caller's pipes open, and record its pid.
start_daemon() {
  local name=$1 out=$2; shift 2
  setsid "$@" </dev/null >>"$out" 2>&1 &
  local pid=$!
  record_pid "$name" "$pid"
  log "started $name (pid $pid)"
}

# stop_daemon NAME [TIMEOUT]: SIGTERM the recorded pid, wait for it to exit,
# SIGKILL after TIMEOUT seconds.
stop_daemon() {
  local name=$1 timeout=${2:-30} pid exe i
  pid=$(pid_of "$name"); exe=$(daemon_exe "$name")
  if [ -z "$pid" ]; then return 0; fi
  if ! pid_is "$pid" "$exe"; then forget_pid "$name"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    pid_is "$pid" "$exe" || break
    sleep 0.1
  done
  if pid_is "$pid" "$exe"; then
    log "$name (pid $pid) ignored SIGTERM for ${timeout}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_is "$pid" "$exe" || break; sleep 0.1; done
  fi
  forget_pid "$name"
  log "stopped $name (pid $pid)"
}

alive() { local pid; pid=$(pid_of "$1"); pid_is "$pid" "$(daemon_exe "$1")"; }

tail_logs() {
  local f
  for f in "$LOGS"/*.log "$LOGS"/*.out; do
    [ -f "$f" ] || continue
    printf '\n----- last lines of %s -----\n' "$f" >&2
    tail -n 25 "$f" >&2 || true
  done
}

fail_start() { log "ERROR: $*"; tail_logs; die "$*"; }

# wait_for DAEMON DESC SECONDS CMD...: poll CMD every 0.2 s until it succeeds;
# fail at once if DAEMON (a name in DIR/pids) exits meanwhile.
wait_for() {
  local daemon=$1 desc=$2 secs=$3 deadline; shift 3
  deadline=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$(type -t "$1")" = function ]; then
      if "$@" >/dev/null 2>&1; then return 0; fi
    elif timeout 10 "$@" >/dev/null 2>&1; then return 0; fi
    alive "$daemon" || fail_start "$daemon exited while waiting for $desc"
    sleep 0.2
  done
  fail_start "timed out after ${secs}s waiting for $desc"
}

# ---------------------------------------------------------------- install
install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  # Debian's postinst scripts start munge, mariadb, slurmctld, slurmd and
  # slurmdbd through invoke-rc.d; a policy-rc.d that answers 101 forbids that
  # (these daemons would hold the ports and sockets ours need). Keep any
  # existing policy-rc.d, else add one for the install only.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; added_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  } >"/tmp/run-inspect-slurm-apt.log" 2>&1 || rc=$?
  [ "$added_policy" = 1 ] && rm -f "$policy"
  if [ "$rc" != 0 ]; then
    tail -n 30 /tmp/run-inspect-slurm-apt.log >&2
    die "apt-get failed (exit $rc); full log: /tmp/run-inspect-slurm-apt.log"
  fi
  log "installed; $(slurmctld -V 2>/dev/null || echo 'slurmctld -V failed')"
}

# ---------------------------------------------------------------- configs
write_configs() {
  local host=$1
  mkdir -p "$ETC" "$RUN" "$LOGS" "$DIR/munge" "$DIR/spool/slurmctld" "$DIR/spool/slurmd"
  chmod 755 "$DIR" "$ETC" "$RUN" "$LOGS"
  chmod 700 "$DIR/munge"

  local acct_lines
  if [ "$ACCOUNTING" = 1 ]; then
    acct_lines="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
AccountingStoragePass=$RUN/munge.socket
AccountingStorageEnforce=associations,limits,qos
# GPU sites store gres/gpu so that sacct's AllocTRES shows the GPUs a job held
AccountingStorageTRES=gres/gpu"
    # sacct's Comment field; most sites leave it off (--no-job-comment)
    [ "$JOB_COMMENT" = 1 ] && acct_lines="$acct_lines
AccountingStoreFlags=job_comment"
  else
    acct_lines="AccountingStorageType=accounting_storage/none"
  fi

  cat >"$SLURM_CONF_FILE.tmp" <<EOF
# Written by test/cluster/cluster.sh: a single-node test cluster. Do not edit.
ClusterName=$CLUSTER_NAME
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$RUN/munge.socket
StateSaveLocation=$DIR/spool/slurmctld
SlurmdSpoolDir=$DIR/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
# scheduling: start a submitted job within about a second
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1
PriorityType=priority/basic
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# timers
MinJobAge=$MIN_JOB_AGE
KillWait=2
OverTimeLimit=0
InactiveLimit=0
MessageTimeout=10
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=60
# accounting
$acct_lines
JobCompType=jobcomp/none
# a count-only GPU gres, so scripts with --gres=gpu:1 are accepted
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$NODE_CPUS RealMemory=$NODE_MEM_MB Gres=gpu:$NODE_GPUS State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$SLURM_CONF_FILE.tmp" "$SLURM_CONF_FILE"
  chmod 644 "$SLURM_CONF_FILE"

  # gres/gpu wants one character device per GPU: stand-ins with the
  # numbers of /dev/null (no cgroup device constraint with task/none)
  mkdir -p "$DIR/dev"
  local g
  for ((g = 0; g < NODE_GPUS; g++)); do
    [ -c "$DIR/dev/gpu$g" ] || { rm -f "$DIR/dev/gpu$g"; mknod -m 666 "$DIR/dev/gpu$g" c 1 3; }
  done
  cat >"$ETC/gres.conf" <<EOF
NodeName=$host Name=gpu File=$DIR/dev/gpu[0-$((NODE_GPUS - 1))]
EOF
  chmod 644 "$ETC/gres.conf"

  if [ "$ACCOUNTING" = 1 ]; then
    (umask 077; cat >"$ETC/slurmdbd.conf" <<EOF
# Written by test/cluster/cluster.sh
AuthType=auth/munge
AuthInfo=socket=$RUN/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=$LOGS/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurmdbpass
StorageLoc=slurm_acct_db
EOF
    )
    chmod 600 "$ETC/slurmdbd.conf"
  fi

  cat >"$DIR/env.sh" <<EOF
# source this file (or pass SLURM_CONF) before calling sbatch/squeue/sacct/scontrol/scancel
export SLURM_CONF=$SLURM_CONF_FILE
EOF
  chmod 644 "$DIR/env.sh"
}

link_etc() {
  [ "$ETC_LINK" = 1 ] || return 0
  mkdir -p /etc/slurm
  if [ -L "$ETC_CONF" ]; then
    rm -f "$ETC_CONF"
  elif [ -e "$ETC_CONF" ]; then
    [ -e "$ETC_BACKUP" ] || { mv "$ETC_CONF" "$ETC_BACKUP"; log "moved the existing $ETC_CONF to $ETC_BACKUP"; }
    rm -f "$ETC_CONF"
  fi
  ln -s "$SLURM_CONF_FILE" "$ETC_CONF"
  echo "$ETC_CONF" >"$DIR/etc-link"
}

unlink_etc() {
  [ -f "$DIR/etc-link" ] || return 0
  if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$SLURM_CONF_FILE" ]; then
    rm -f "$ETC_CONF"
    if [ -e "$ETC_BACKUP" ]; then mv "$ETC_BACKUP" "$ETC_CONF"; log "restored $ETC_CONF"; fi
  fi
  rm -f "$DIR/etc-link"
}

# ---------------------------------------------------------------- daemons
start_munge() {
  alive munged && return 0
  local key=$DIR/munge/munge.key
  if [ ! -s "$key" ]; then
    mungekey --create --keyfile="$key" --force
    log "created munge key $key"
  fi
  chmod 600 "$key"
  start_daemon munged "$LOGS/munged.log" munged --foreground --force \
    --key-file="$key" --socket="$RUN/munge.socket" --pid-file="$RUN/munged.pid" \
    --seed-file="$DIR/munge/munged.seed" --num-threads=2
  wait_for munged "munged" 15 munge --socket="$RUN/munge.socket" -n
}

MYSQL_RUN=$DIR/mysql-run
# shellcheck disable=SC2120 # called with arguments through wait_for
mysql_cli() { timeout 30 mariadb --no-defaults --socket="$MYSQL_RUN/mysqld.sock" -u root "$@"; }

start_mariadb() {
  alive mariadbd && return 0
  local data=$DIR/mysql
  if [ ! -d "$data/mysql" ]; then
    rm -rf "$data"; mkdir -p "$data"; chown mysql:mysql "$data"
    log "initialising MariaDB datadir $data"
    mariadb-install-db --no-defaults --user=mysql --datadir="$data" --skip-test-db \
      --auth-root-authentication-method=socket >"$LOGS/mariadb-install-db.log" 2>&1 ||
      fail_start "mariadb-install-db failed (see $LOGS/mariadb-install-db.log)"
  fi
  mkdir -p "$MYSQL_RUN"; chown mysql:mysql "$MYSQL_RUN"; chmod 755 "$MYSQL_RUN"
  touch "$LOGS/mariadb.log"; chown mysql:mysql "$LOGS/mariadb.log"
  start_daemon mariadbd "$LOGS/mariadb.out" mariadbd --no-defaults --user=mysql \
    --datadir="$data" --socket="$MYSQL_RUN/mysqld.sock" --pid-file="$MYSQL_RUN/mysqld.pid" \
    --bind-address=127.0.0.1 --port="$DB_PORT" --skip-name-resolve \
    --log-error="$LOGS/mariadb.log" --innodb-buffer-pool-size=1024M \
    --innodb-log-file-size=64M --innodb-lock-wait-timeout=900
  wait_for mariadbd "MariaDB on 127.0.0.1:$DB_PORT" 60 mysql_cli -e 'SELECT 1'
  mysql_cli <<'EOF'
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmdbpass';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmdbpass';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
EOF
}

sacctmgr_q() { sacctmgr -i -n -P "$@"; }

start_slurmdbd() {
  alive slurmdbd && return 0
  start_daemon slurmdbd "$LOGS/slurmdbd.out" slurmdbd -D
  # the first start creates the tables: allow time
  wait_for slurmdbd "slurmdbd" 90 sacctmgr -n -P show cluster
}

setup_accounting() {
  local out users u
  out=$(sacctmgr -n -P show cluster format=cluster)
  if ! grep -qx "$CLUSTER_NAME" <<<"$out"; then
    sacctmgr_q add cluster "$CLUSTER_NAME" >/dev/null
  fi
  if [ -z "$(sacctmgr -n -P show account "$ACCOUNT_NAME" format=account)" ]; then
    sacctmgr_q add account "$ACCOUNT_NAME" Cluster="$CLUSTER_NAME" \
      Description="run-inspect tests" Organization=run-inspect >/dev/null
  fi
  users=(root)
  [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && users+=("$SUDO_USER")
  users+=("${EXTRA_USERS[@]}")
  for u in "${users[@]}"; do
    id "$u" >/dev/null 2>&1 || { log "no such OS user '$u': skipped"; continue; }
    if [ -z "$(sacctmgr -n -P show assoc where user="$u" account="$ACCOUNT_NAME" cluster="$CLUSTER_NAME" format=user)" ]; then
      sacctmgr_q add user "$u" Account="$ACCOUNT_NAME" DefaultAccount="$ACCOUNT_NAME" Cluster="$CLUSTER_NAME" >/dev/null
    fi
  done
  # the database outlives a stop: always set the QOS limit, -1 clears it
  sacctmgr_q modify qos normal set MaxSubmitJobsPerUser="${QOS_MAX_SUBMIT:--1}" >/dev/null || true
}

node_idle() {
  local st
  st=$(sinfo -h -N -o '%t' 2>/dev/null) || return 1
  [ "$st" = idle ]
}

start_slurm() {
  local host=$1
  if ! alive slurmctld; then
    # forget saved node states (a node drained in an earlier run stays
    # drained otherwise); jobs and reservations are kept
    rm -f "$DIR/spool/slurmctld/node_state" "$DIR/spool/slurmctld/node_state.old"
    start_daemon slurmctld "$LOGS/slurmctld.out" slurmctld -D -i
  fi
  wait_for slurmctld "slurmctld" 30 scontrol ping
  if ! alive slurmd; then
    start_daemon slurmd "$LOGS/slurmd.out" slurmd -D -N "$host"
  fi
  local deadline=$((SECONDS + WAIT_IDLE_S))
  while [ "$SECONDS" -lt "$deadline" ]; do
    node_idle && return 0
    alive slurmctld || fail_start "slurmctld exited"
    alive slurmd || fail_start "slurmd exited"
    sleep 0.2
  done
  log "sinfo: $(sinfo -N -l 2>&1 || true)"
  fail_start "node $host not idle after ${WAIT_IDLE_S}s"
}

mode_text() {
  printf 'accounting=%s\njob_comment=%s\nqos_max_submit=%s\nmin_job_age=%s\n' \
    "$([ "$ACCOUNTING" = 1 ] && echo on || echo off)" "$([ "$JOB_COMMENT" = 1 ] && echo on || echo off)" "${QOS_MAX_SUBMIT:-none}" "$MIN_JOB_AGE"
}
write_mode() { mode_text >"$DIR/mode"; }

any_alive() {
  local n
  for n in slurmd slurmctld slurmdbd mariadbd munged; do alive "$n" && return 0; done
  return 1
}

# ---------------------------------------------------------------- commands
cmd_start() {
  need_root
  local t0=$SECONDS host
  install_packages
  host=$(hostname -s)
  [ -n "$host" ] || die "hostname -s printed nothing"
  # something of ours still runs in DIR: keep it if it is a healthy cluster
  # in the requested mode, else stop it all and start afresh
  if any_alive; then
    local want
    want=$(mode_text)
    if [ "$FRESH" = 0 ] && [ -f "$DIR/mode" ] && [ "$want" = "$(cat "$DIR/mode")" ] &&
      alive munged && alive slurmctld && alive slurmd && node_idle_or_busy &&
      { [ "$ACCOUNTING" = 0 ] || { alive slurmdbd && alive mariadbd; }; }; then
      log "already running in $DIR with these options"
      print_env
      return 0
    fi
    log "stopping what runs in $DIR first"
    cmd_stop
  fi
  if [ "$FRESH" = 1 ] && [ -d "$DIR" ]; then
    # only a dir this script made (or an empty one) is removed
    if ! grep -qs 'Written by test/cluster/cluster.sh' "$SLURM_CONF_FILE" && [ -n "$(ls -A "$DIR")" ]; then
      die "--fresh: $DIR was not made by cluster.sh; not removing it"
    fi
    log "--fresh: removing $DIR (job ids restart at 1, accounting database emptied)"
    rm -rf "$DIR"
  fi
  mkdir -p "$DIR"
  write_configs "$host"
  link_etc
  start_munge
  if [ "$ACCOUNTING" = 1 ]; then
    start_mariadb
    start_slurmdbd
    setup_accounting
  else
    stop_daemon slurmdbd
    stop_daemon mariadbd
  fi
  start_slurm "$host"
  # jobs still queued now are left over from a run that ended without `stop`
  # (they would be requeued and run again): cancel them
  cancel_all_jobs
  write_mode
  log "cluster up in $((SECONDS - t0))s: node $host idle, accounting=$([ "$ACCOUNTING" = 1 ] && echo on || echo off), qos MaxSubmitJobsPerUser=${QOS_MAX_SUBMIT:-none}, MinJobAge=$MIN_JOB_AGE"
  print_env
}

node_idle_or_busy() {
  local st
  st=$(sinfo -h -N -o '%t' 2>/dev/null) || return 1
  case "$st" in idle|mix|alloc) return 0 ;; *) return 1 ;; esac
}

print_env() { echo "export SLURM_CONF=$SLURM_CONF_FILE"; }

# Cancel every job of this test cluster and wait (bounded) for them to end,
# so no job step outlives the daemons.
cancel_all_jobs() {
  alive slurmctld || return 0
  local ids i
  ids=$(squeue -h -o %i 2>/dev/null || true)
  [ -n "$ids" ] || return 0
  log "cancelling jobs left in the queue: $(tr '\n' ' ' <<<"$ids")"
  # shellcheck disable=SC2086
  scancel $ids 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    [ -z "$(squeue -h -t R,CG,S -o %i 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  log "jobs still running after 20s: $(squeue -h -t R,CG -o '%i %T' 2>/dev/null | tr '\n' ' ')"
}

cmd_stop() {
  need_root
  local t0=$SECONDS
  if [ ! -d "$DIR" ]; then log "nothing to stop ($DIR does not exist)"; return 0; fi
  cancel_all_jobs
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon slurmdbd
  stop_daemon mariadbd 60
  stop_daemon munged
  unlink_etc
  rm -f "$DIR/mode"
  log "stopped in $((SECONDS - t0))s"
}

cmd_status() {
  local n pid any=0
  echo "dir: $DIR"
  [ -f "$DIR/mode" ] && sed 's/^/mode: /' "$DIR/mode"
  for n in munged mariadbd slurmdbd slurmctld slurmd; do
    pid=$(pid_of "$n")
    if [ -n "$pid" ] && pid_is "$pid" "$(daemon_exe "$n")"; then
      echo "$n: running (pid $pid)"; any=1
    elif [ -n "$pid" ]; then
      echo "$n: not running (stale pid $pid)"
    else
      echo "$n: not running"
    fi
  done
  if [ "$any" = 1 ] && alive slurmctld; then
    echo "SLURM_CONF=$SLURM_CONF_FILE"
    sinfo -N -o '%N %t %c %m %G' 2>&1 | sed 's/^/sinfo: /'
    squeue -h -o '%i %T %j' 2>/dev/null | sed 's/^/job: /'
  fi
  alive slurmctld && alive slurmd
}

case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) print_env ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
