#!/usr/bin/env bash
# deploy/local/infra.sh - start/stop the real backing services for tests and
# local distributed runs, natively (no Docker), on loopback only, with all
# state under one folder.
#
#   infra.sh up     [service...]   start (default: all), idempotent
#   infra.sh down   [service...]   stop gracefully, no-op when not running
#   infra.sh status [service...]   one line per service; exit 0 if all running, else 3
#   infra.sh env    [service...]   print `export VAR=value` lines (eval-able)
#   infra.sh reset                 down + delete all state
#
# Services: postgres (alias pg), redis, kafka, s3 (aliases minio, seaweedfs:
# an S3 API served by SeaweedFS).
#
# Environment:
#   MODELYARD_INFRA_DIR    state folder (default <repo>/.state/infra)
#   MODELYARD_PG_PORT      PostgreSQL port (default 55432)
#   MODELYARD_REDIS_PORT   Redis port (default 56379)
#   MODELYARD_KAFKA_PORT   Kafka broker port (default 59092)
#   MODELYARD_KAFKA_CONTROLLER_PORT  Kafka KRaft controller port (default 59093)
#   MODELYARD_S3_PORT      S3 API port (default 59000); SeaweedFS's internal
#                          master/volume/filer ports are derived from it (+2..+31)
#   MODELYARD_S3_LOG_V     SeaweedFS log verbosity 0..4 (default 0)
#
# Only `env` and `status` write to stdout; all messages go to stderr with an
# `[infra]` prefix.
#
# Adding a service = append its key to SERVICES and define
#   <key>_up <key>_down <key>_status <key>_env   (aliases: resolve_services)
# with the same contracts as the pg_* / redis_* functions below:
#   _up      start if needed and wait until it really answers (die on failure)
#   _down    stop gracefully; no-op when not running
#   _status  print one status line; return 0 when running, 3 otherwise
#   _env     print `export VAR=value` lines
# Shared helpers: log/die, need_root_or_sudo, apt_install, wait_until,
# wait_ready, pid_alive, pid_cmdline_has, port_in_use, spawn (closes the lock
# fd for daemons), spawn_daemon, stop_pid.

set -euo pipefail
umask 022

# ----------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd)
STATE=$(realpath -m -- "${MODELYARD_INFRA_DIR:-$REPO_ROOT/.state/infra}")

PG_PORT=${MODELYARD_PG_PORT:-55432}
REDIS_PORT=${MODELYARD_REDIS_PORT:-56379}
KAFKA_PORT=${MODELYARD_KAFKA_PORT:-59092}
KAFKA_CONTROLLER_PORT=${MODELYARD_KAFKA_CONTROLLER_PORT:-59093}
S3_PORT=${MODELYARD_S3_PORT:-59000}

# Order matters: `up` goes left to right, `down` right to left.
SERVICES=(pg redis kafka s3)

LOCK_FD=9
LOCK_TIMEOUT_S=${MODELYARD_INFRA_LOCK_TIMEOUT:-600}
MARKER=.modelyard-infra   # written into $STATE; `reset` refuses to delete a folder without it

# PostgreSQL
PG_OS_USER=postgres                 # OS user that owns the cluster when we run as root
PG_DIR=$STATE/postgres
PG_DATA=$PG_DIR/data
PG_RUN=$PG_DIR/run                  # unix socket directory
PG_LOG=$PG_DIR/postgres.log
PG_APP_USER=modelyard
PG_APP_PASSWORD=modelyard
PG_APP_DB=modelyard
PG_START_TIMEOUT_S=60

# Redis
REDIS_DIR=$STATE/redis
REDIS_CONF=$REDIS_DIR/redis.conf
REDIS_DATA=$REDIS_DIR/data
REDIS_PIDFILE=$REDIS_DIR/redis.pid
REDIS_LOG=$REDIS_DIR/redis.log
REDIS_START_TIMEOUT_S=60

# Kafka: single KRaft node (broker + controller in one JVM), jars from Maven
# Central via deploy/local/kafka/pom.xml, cached in $KAFKA_LIBS (the Maven
# repository itself stays in ~/.m2, so `reset` does not throw it away).
KAFKA_POM=$SCRIPT_DIR/kafka/pom.xml
KAFKA_DIR=$STATE/kafka
KAFKA_LIBS=$KAFKA_DIR/libs
KAFKA_CONF=$KAFKA_DIR/server.properties
KAFKA_LOG4J=$KAFKA_DIR/log4j2.properties
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_PIDFILE=$KAFKA_DIR/kafka.pid
KAFKA_LOG=$KAFKA_DIR/server.log     # log4j2 (rolled at 20 MB, 3 kept)
KAFKA_OUT=$KAFKA_DIR/kafka.out      # the JVM's own stdout/stderr (crashes, log4j status)
KAFKA_START_TIMEOUT_S=90
KAFKA_STOP_TIMEOUT_S=60
KAFKA_MIN_JAVA=17                   # Kafka 4 brokers need Java 17+

# S3: SeaweedFS (`weed server -filer -s3`), built from its Go module and cached
# in $S3_BIN; the Go module and build caches stay in the default GOPATH/GOCACHE,
# so `reset` does not throw them away. (MinIO is not used: it is AGPL-3.0.)
S3_MODULE=github.com/seaweedfs/seaweedfs
S3_MODULE_VERSION=v0.0.0-20261109003541-7506e5f91cd6   # SeaweedFS 4.53, 2026-11-09
S3_DIR=$STATE/s3
S3_BIN=$STATE/bin/weed
S3_DATA=$S3_DIR/data
S3_CONF=$S3_DIR/s3.json
S3_PIDFILE=$S3_DIR/weed.pid
S3_LOG=$S3_DIR/weed.log
S3_START_TIMEOUT_S=90
# SIGTERM stops the volume server within milliseconds; then the filer keeps
# retrying to flush its metadata change log into the (gone) volume server for
# ~15 s and drops it anyway. So SIGKILL after this grace period loses nothing
# (objects and filer entries are already on disk) and `down` takes ~5 s, not 15.
S3_STOP_TIMEOUT_S=5
S3_ACCESS_KEY=modelyard
S3_SECRET_KEY=modelyard-secret
S3_BUCKET=modelyard
S3_REGION=us-east-1
# Internal SeaweedFS ports (S3_PORT + 2/10/11/20/21/30/31), set by
# validate_ports once S3_PORT is known to be a number.
S3_GRPC_PORT='' S3_MASTER_PORT='' S3_MASTER_GRPC_PORT='' S3_VOLUME_PORT=''
S3_VOLUME_GRPC_PORT='' S3_FILER_PORT='' S3_FILER_GRPC_PORT=''

# Make our own client calls deterministic regardless of the caller's libpq env.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE \
  PGSERVICE PGSERVICEFILE PGOPTIONS PGSSLMODE PGCONNECT_TIMEOUT PGTARGETSESSIONATTRS

# ----------------------------------------------------------------------------
# Generic helpers
# ----------------------------------------------------------------------------
log() { printf '[infra] %s\n' "$*" >&2; }
die() {
  printf '[infra] error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat >&2 <<EOF
usage: ${0##*/} {up|down|status|env} [service...] | reset | help
services: ${SERVICES[*]/pg/postgres}  (aliases: pg = postgres; minio, seaweedfs = s3)
state:    $STATE
EOF
}

now_us() { local t=${EPOCHREALTIME//[!0-9]/}; printf '%s' "$t"; }
elapsed_s() { # start_us -> "1.23"
  local d=$(($(now_us) - $1))
  printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}

# wait_until TIMEOUT_S CMD... : poll CMD every 0.1 s until it succeeds.
wait_until() {
  local timeout=$1 deadline
  shift
  deadline=$(($(now_us) + timeout * 1000000))
  until "$@" >/dev/null 2>&1; do
    (($(now_us) < deadline)) || return 1
    sleep 0.1
  done
}

# pid_alive PID COMM : process exists and its name is COMM (guards against
# pid reuse after a crash/reboot leaving a stale pid file behind).
pid_alive() {
  local pid=$1 comm=$2 actual
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/comm ]] || return 1
  { actual=$(<"/proc/$pid/comm"); } 2>/dev/null || return 1
  [[ $actual == "$comm" ]] && ! pid_zombie "$pid"
}

# A daemon that exited but was not reaped yet (e.g. when PID 1 of a container
# does not reap orphans) is a zombie: kill -0 and /proc/PID/comm still succeed.
pid_zombie() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} == Z ]]
}

read_pidfile() { # first line of a pid file, or nothing
  local f=$1 line=
  if [[ -f $f ]]; then IFS= read -r line <"$f" || true; fi
  printf '%s' "${line//[!0-9]/}"
}

# port_in_use PORT : something accepts TCP connections on 127.0.0.1:PORT
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# reserve_ports PORT... : add the ports to net.ipv4.ip_local_reserved_ports.
# Our ports lie inside Linux's default ephemeral range (32768-60999). While a
# daemon is down (tests stop and start them), any outgoing connection on the
# machine may get its port as a local port, and the daemon then fails to bind
# ("Address already in use"; seen here with Kafka). Reserved ports are never
# picked automatically; explicit binds still work. Best effort: needs root and a
# writable /proc/sys (not persistent across reboots; `up` re-adds them).
reserve_ports() {
  local f=/proc/sys/net/ipv4/ip_local_reserved_ports cur item lo hi p add=() listed items=()
  [[ -w $f ]] || return 0
  cur=$(<"$f") || return 0
  for p in "$@"; do
    listed=0
    IFS=, read -r -a items <<<"$cur"
    for item in "${items[@]}"; do
      lo=${item%-*} hi=${item#*-}
      if ((p >= lo && p <= hi)); then listed=1 && break; fi
    done
    ((listed)) || add+=("$p")
  done
  ((${#add[@]})) || return 0
  cur=${cur:+$cur,}$(IFS=,; printf '%s' "${add[*]}")
  if printf '%s\n' "$cur" >"$f" 2>/dev/null; then
    log "reserved ports ${add[*]} (net.ipv4.ip_local_reserved_ports) so no outgoing connection takes them"
  fi
}

service_ports() { # KEY -> the TCP ports the service listens on
  case $1 in
    pg) printf '%s\n' "$PG_PORT" ;;
    redis) printf '%s\n' "$REDIS_PORT" ;;
    kafka) printf '%s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" ;;
    s3) printf '%s\n' "$S3_PORT" "$S3_GRPC_PORT" "$S3_MASTER_PORT" "$S3_MASTER_GRPC_PORT" \
      "$S3_VOLUME_PORT" "$S3_VOLUME_GRPC_PORT" "$S3_FILER_PORT" "$S3_FILER_GRPC_PORT" ;;
    *) ;;
  esac
}

# spawn CMD... : run a command that may leave a daemon behind, with the lock fd
# closed. Otherwise the daemon inherits fd 9 and holds the flock forever, so the
# next `up`/`down` would block.
spawn() { "$@" 9>&-; }

pid_gone() { ! kill -0 "$1" 2>/dev/null || pid_zombie "$1"; }

# pid_cmdline_has PID NEEDLE : the command line of PID contains NEEDLE. For
# daemons with a generic process name (java): after a crash or reboot the pid
# in a stale pid file may belong to some other java.
pid_cmdline_has() {
  local cmdline
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  { cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline"); } 2>/dev/null || return 1
  [[ $cmdline == *"$2"* ]]
}

# wait_ready TIMEOUT_S PID COMM CMD... : poll CMD every 0.2 s until it succeeds.
# Returns 1 on timeout, and 2 as soon as process PID (named COMM) is gone, so a
# daemon that dies while starting fails at once instead of after the timeout.
wait_ready() {
  local timeout=$1 pid=$2 comm=$3 deadline
  shift 3
  deadline=$(($(now_us) + timeout * 1000000))
  until "$@" >/dev/null 2>&1; do
    pid_alive "$pid" "$comm" || return 2
    (($(now_us) < deadline)) || return 1
    sleep 0.2
  done
}

# spawn_daemon PIDFILE LOGFILE CMD... : run CMD in the background as a daemon:
# own session (no controlling terminal, so no SIGHUP, and not in the caller's
# process group), stdin from /dev/null, stdout+stderr appended to LOGFILE, lock
# fd closed. The child writes its own pid right before it execs CMD, so the pid
# file holds the daemon's pid whether or not setsid had to fork.
# A simple command with `&` (not a function like `spawn`): bash forks once and
# execs setsid. A backgrounded function would run in a subshell that waits for
# the daemon, keeps fd 9 open, and so holds the flock until the daemon exits.
spawn_daemon() {
  local pidfile=$1 logfile=$2
  shift 2
  rm -f -- "$pidfile"
  # shellcheck disable=SC2016 # $$, $0 and $@ are the child shell's
  setsid bash -c 'echo "$$" >"$0" && exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  wait_until 10 test -s "$pidfile"
}

# rotate_log FILE : at a daemon's start, keep one previous generation once
# FILE is over 50 MB (for logs the daemon does not rotate itself).
rotate_log() {
  local size
  size=$(stat -c %s -- "$1" 2>/dev/null) || return 0
  ((size < 50 * 1024 * 1024)) || mv -f -- "$1" "$1.1"
}

# stop_pid NAME PID TIMEOUT_S [quiet] : SIGTERM, wait up to TIMEOUT_S, then
# SIGKILL (logged unless the 4th argument says that is expected).
stop_pid() {
  local name=$1 pid=$2 timeout=$3 quiet=${4:-}
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" pid_gone "$pid"; then
    [[ -n $quiet ]] || log "$name: still running ${timeout}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 pid_gone "$pid" || die "could not stop $name (pid $pid)"
  fi
}

log_tail() { # file [lines]
  local f=$1 n=${2:-30}
  if [[ -f $f ]]; then
    log "last $n lines of $f:"
    tail -n "$n" -- "$f" | sed 's/^/[infra]   | /' >&2
  fi
}

is_root() { [[ $EUID -eq 0 ]]; }

# Commands that need root: run directly as root, through sudo otherwise.
SUDO=()
need_root_or_sudo() {
  if is_root; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "$1 needs root (and sudo is not available); run once as root: $2"
  fi
}

# apt_install PKG... : quiet, non-interactive install (Debian/Ubuntu).
# While installing, a temporary policy-rc.d (exit 101) stops the packages'
# own init scripts from starting Debian-managed postgres/redis on 5432/6379.
apt_install() {
  local aptlog=$STATE/apt.log policy=/usr/sbin/policy-rc.d added_policy=0 rc=0 t0
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* manually"
  need_root_or_sudo "installing $*" "apt-get update && apt-get install -y $*"
  t0=$(now_us)
  log "installing $* with apt-get (one-time; log: $aptlog)..."
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, created by modelyard infra.sh\nexit 101\n' |
      "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  {
    spawn "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      spawn "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold "$@"
  } >"$aptlog" 2>&1 || rc=$?
  if ((added_policy)); then "${SUDO[@]}" rm -f "$policy"; fi
  if ((rc != 0)); then
    log_tail "$aptlog" 20
    die "apt-get install $* failed (exit $rc)"
  fi
  log "installed $* in $(elapsed_s "$t0")s"
}

# The state dir is created lazily (status/env never create anything).
ensure_state_dir() {
  case $STATE in
    *[[:space:]\'\"\\]*) die "state dir must not contain whitespace/quotes/backslashes: '$STATE'" ;;
    *) ;;
  esac
  if [[ -d $STATE && ! -e $STATE/$MARKER ]] && [[ -n $(ls -A -- "$STATE" 2>/dev/null) ]]; then
    die "$STATE exists, is not empty and was not created by infra.sh (no $MARKER); pick another MODELYARD_INFRA_DIR"
  fi
  mkdir -p -- "$STATE"
  [[ -e $STATE/$MARKER ]] || printf 'state folder of deploy/local/infra.sh; delete it with: infra.sh reset\n' >"$STATE/$MARKER"
}

take_lock() {
  local lock=$STATE/.lock
  exec 9>>"$lock"
  if ! flock -n "$LOCK_FD"; then
    log "another infra.sh holds $lock; waiting (up to ${LOCK_TIMEOUT_S}s)..."
    flock -w "$LOCK_TIMEOUT_S" "$LOCK_FD" || die "timed out waiting for $lock"
  fi
}

# ----------------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------------
# Highest installed server version, or the version the data dir was created with.
PG_BIN=
pg_find_bin() {
  local want='' c
  if [[ -f $PG_DATA/PG_VERSION ]]; then
    want=$(<"$PG_DATA/PG_VERSION")
    if [[ -x /usr/lib/postgresql/$want/bin/initdb ]]; then
      PG_BIN=/usr/lib/postgresql/$want/bin
      return 0
    fi
    die "data dir $PG_DATA was created by PostgreSQL $want, whose server binaries are not installed (install postgresql-$want, or run \`${0##*/} reset\`)"
  fi
  c=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1) || true
  [[ -n $c ]] || return 1
  PG_BIN=${c%/initdb}
}

pg_install_if_missing() {
  if ! pg_find_bin; then
    # Only the client (psql) may be installed; the server lives in postgresql-NN.
    apt_install postgresql postgresql-contrib
    pg_find_bin || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
  fi
  command -v psql >/dev/null 2>&1 || die "psql not on PATH (install postgresql-client)"
}

# Run a server binary as the cluster owner: initdb/postgres refuse to run as root.
as_pg() {
  if is_root; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}

# When root, the postgres OS user must be able to reach $PG_DIR: every parent
# directory needs o+x (or group/owner x for postgres). /work/main is 0755, so the
# default location works; a 0700 home directory as MODELYARD_INFRA_DIR would not.
pg_prepare_dirs() {
  mkdir -p -- "$PG_DIR" "$PG_RUN"
  if is_root; then
    id -u "$PG_OS_USER" >/dev/null 2>&1 || die "OS user '$PG_OS_USER' does not exist (it comes with the postgresql package)"
    chown "$PG_OS_USER:" "$PG_DIR" "$PG_RUN"
    [[ ! -e $PG_LOG ]] || chown "$PG_OS_USER:" "$PG_LOG"
    if ! runuser -u "$PG_OS_USER" -- test -w "$PG_DIR" 2>/dev/null; then
      # Walk from / down to find the first directory postgres cannot enter.
      local d='' part parts
      IFS=/ read -r -a parts <<<"${PG_DIR#/}"
      for part in "${parts[@]}"; do
        d=$d/$part
        if ! runuser -u "$PG_OS_USER" -- test -x "$d" 2>/dev/null; then
          die "OS user '$PG_OS_USER' cannot traverse $d ($(stat -c '%A %U:%G' -- "$d")); chmod o+x it or set MODELYARD_INFRA_DIR to a path under a world-traversable directory (e.g. /var/tmp/modelyard-infra)"
        fi
      done
      die "OS user '$PG_OS_USER' cannot write $PG_DIR"
    fi
  fi
  chmod 0700 "$PG_RUN"
}

pg_socket_opt() {
  # sun_path is 108 bytes; past that postgres cannot create the socket. Everything
  # we do goes over TCP anyway, so just disable the unix socket then.
  local sock="$PG_RUN/.s.PGSQL.$PG_PORT"
  if ((${#sock} > 100)); then
    log "warning: socket path too long (${#sock} chars), postgres unix socket disabled (TCP only)"
    printf "%s" "-c unix_socket_directories=''"
  else
    printf '%s' "-c unix_socket_directories=$PG_RUN"
  fi
}

pg_pid() { read_pidfile "$PG_DATA/postmaster.pid"; }
pg_proc_alive() { pid_alive "$(pg_pid)" postgres; }
pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -U postgres -t 2; }
pg_app_url() { printf 'postgres://%s:%s@127.0.0.1:%s/%s' "$PG_APP_USER" "$PG_APP_PASSWORD" "$PG_PORT" "$PG_APP_DB"; }
pg_app_select1() {
  [[ $(psql -X -q -t -A -d "$(pg_app_url)?connect_timeout=5&sslmode=disable" -c 'SELECT 1' 2>/dev/null) == 1 ]]
}
pg_admin_psql() { # DBNAME [psql args...] : superuser over TCP (trust on 127.0.0.1)
  local db=$1
  shift
  psql -X -q -v ON_ERROR_STOP=1 \
    -d "host=127.0.0.1 port=$PG_PORT user=postgres dbname=$db sslmode=disable connect_timeout=5 options='-c client_min_messages=warning'" "$@"
}

pg_clean_stale() {
  local pid
  pid=$(pg_pid)
  if [[ -f $PG_DATA/postmaster.pid ]] && ! pid_alive "$pid" postgres; then
    log "postgres: removing stale pid file (pid ${pid:-?} is not a running postgres)"
    rm -f -- "$PG_DATA/postmaster.pid"
  fi
  local f
  for f in "$PG_RUN"/.s.PGSQL.*.lock; do
    [[ -e $f ]] || continue
    pid_alive "$(read_pidfile "$f")" postgres || rm -f -- "$f" "${f%.lock}"
  done
}

pg_initdb() {
  if [[ -d $PG_DATA && ! -e $PG_DIR/.initialised ]]; then
    log "postgres: $PG_DATA is a half-initialised leftover; recreating it"
    rm -rf -- "$PG_DATA"
  fi
  [[ -d $PG_DATA ]] && return 0
  log "postgres: initdb $PG_DATA ($("$PG_BIN/postgres" --version))"
  if ! spawn as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    -A trust --no-instructions >"$PG_DIR/initdb.log" 2>&1; then
    log_tail "$PG_DIR/initdb.log"
    die "initdb failed"
  fi
  # Trust is fine here: the server only listens on 127.0.0.1 and holds throwaway
  # test data. The app role still gets a password, and every URL we hand out
  # carries it, so switching `trust` to `scram-sha-256` below needs no client change.
  cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Written by deploy/local/infra.sh: loopback-only throwaway test cluster.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
  is_root && chown "$PG_OS_USER:" "$PG_DATA/pg_hba.conf"
  chmod 0600 "$PG_DATA/pg_hba.conf"
  touch "$PG_DIR/.initialised"
}

pg_provision() {
  # Idempotent: role (password always (re)set), database, extension.
  pg_admin_psql postgres >/dev/null <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_APP_USER') THEN
    CREATE ROLE $PG_APP_USER LOGIN CREATEDB PASSWORD '$PG_APP_PASSWORD';
  ELSE
    ALTER ROLE $PG_APP_USER LOGIN CREATEDB PASSWORD '$PG_APP_PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $PG_APP_DB OWNER $PG_APP_USER'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_APP_DB') \gexec
SQL
  # pg_trgm ships in the postgresql-NN server package on Debian (postgresql-contrib
  # is only a metapackage since PG 10).
  pg_admin_psql "$PG_APP_DB" -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm' >/dev/null ||
    die "could not enable pg_trgm in $PG_APP_DB (is postgresql-contrib installed?)"
}

pg_up() {
  pg_install_if_missing
  if pg_proc_alive; then
    if wait_until "$PG_START_TIMEOUT_S" pg_ready && pg_app_select1; then
      log "postgres already running on 127.0.0.1:$PG_PORT (pid $(pg_pid))"
      return 0
    fi
    log_tail "$PG_LOG"
    die "postgres pid $(pg_pid) is running but not answering on 127.0.0.1:$PG_PORT"
  fi
  pg_prepare_dirs
  pg_clean_stale
  port_in_use "$PG_PORT" && die "127.0.0.1:$PG_PORT is already used by another process (see: ss -ltnp 'sport = :$PG_PORT'); set MODELYARD_PG_PORT"
  pg_initdb

  local t0 sockopt
  t0=$(now_us)
  sockopt=$(pg_socket_opt)
  log "postgres: starting on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
  # fsync/synchronous_commit/full_page_writes off: fast, but a crash of the
  # machine can corrupt the cluster. Fine ONLY for throwaway test data.
  # (A killed postgres process is fine; only an OS crash/power loss is not.)
  if ! spawn as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$PG_START_TIMEOUT_S" -s \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT $sockopt -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2; then
    log_tail "$PG_LOG"
    die "pg_ctl start failed"
  fi
  if ! wait_until "$PG_START_TIMEOUT_S" pg_ready; then
    log_tail "$PG_LOG"
    die "postgres did not become ready (pg_isready) within ${PG_START_TIMEOUT_S}s"
  fi
  pg_provision
  if ! wait_until 10 pg_app_select1; then
    log_tail "$PG_LOG"
    die "postgres is up but 'SELECT 1' as $PG_APP_USER over TCP failed"
  fi
  log "postgres ready on 127.0.0.1:$PG_PORT (pid $(pg_pid)) in $(elapsed_s "$t0")s"
}

pg_down() {
  if ! pg_find_bin 2>/dev/null || [[ ! -f $PG_DATA/postmaster.pid ]]; then
    log "postgres not running"
    return 0
  fi
  if ! pg_proc_alive; then
    pg_clean_stale
    log "postgres not running"
    return 0
  fi
  log "postgres: stopping (pid $(pg_pid))"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop >&2; then
    log "postgres: fast shutdown failed; trying immediate"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 -s stop >&2 || die "could not stop postgres"
  fi
  log "postgres stopped"
}

pg_status() {
  local pid
  pid=$(pg_pid)
  if [[ -n $PG_BIN ]] || pg_find_bin 2>/dev/null; then
    if pid_alive "$pid" postgres && pg_ready; then
      printf '%-9s %-13s port=%-6s pid=%s\n' postgres running "$PG_PORT" "$pid"
      return 0
    elif pid_alive "$pid" postgres; then
      printf '%-9s %-13s port=%-6s pid=%s\n' postgres not-answering "$PG_PORT" "$pid"
      return 3
    fi
  fi
  printf '%-9s %-13s port=%-6s pid=%s\n' postgres stopped "$PG_PORT" -
  return 3
}

pg_env() { printf 'export MODELYARD_DATABASE_URL=%s\n' "$(pg_app_url)"; }

# ----------------------------------------------------------------------------
# Redis
# ----------------------------------------------------------------------------
redis_install_if_missing() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt_install redis-server redis-tools
  fi
}

redis_cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
redis_pid() { read_pidfile "$REDIS_PIDFILE"; }
redis_proc_alive() { pid_alive "$(redis_pid)" redis-server; }
redis_ping() { [[ $(redis_cli ping 2>/dev/null) == PONG ]]; }

redis_write_conf() {
  # Rewritten on every start so port/path changes apply. Paths have no spaces
  # (checked in ensure_state_dir).
  cat >"$REDIS_CONF" <<EOF
# Written by deploy/local/infra.sh; edits are overwritten on the next \`up\`.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $REDIS_PIDFILE
logfile $REDIS_LOG
loglevel notice
dir $REDIS_DATA
# AOF so a redis restart keeps queued jobs (tests restart redis). Every write is
# in the kernel before the reply, so even kill -9 loses nothing; 'everysec' only
# matters for an OS crash.
appendonly yes
appendfsync everysec
# No RDB snapshots on top of the AOF.
save ""
databases 16
EOF
}

redis_up() {
  redis_install_if_missing
  if redis_proc_alive; then
    if wait_until "$REDIS_START_TIMEOUT_S" redis_ping; then
      log "redis already running on 127.0.0.1:$REDIS_PORT (pid $(redis_pid))"
      return 0
    fi
    log_tail "$REDIS_LOG"
    die "redis pid $(redis_pid) is running but does not answer PING on 127.0.0.1:$REDIS_PORT"
  fi
  mkdir -p -- "$REDIS_DATA"
  if [[ -f $REDIS_PIDFILE ]]; then
    log "redis: removing stale pid file (pid $(redis_pid) is not a running redis-server)"
    rm -f -- "$REDIS_PIDFILE"
  fi
  port_in_use "$REDIS_PORT" && die "127.0.0.1:$REDIS_PORT is already used by another process (see: ss -ltnp 'sport = :$REDIS_PORT'); set MODELYARD_REDIS_PORT"
  redis_write_conf

  local t0
  t0=$(now_us)
  log "redis: starting on 127.0.0.1:$REDIS_PORT (log: $REDIS_LOG)"
  if ! spawn redis-server "$REDIS_CONF" >&2; then
    log_tail "$REDIS_LOG"
    die "redis-server failed to start"
  fi
  # PING answers -LOADING while the AOF is replayed; wait for a real PONG.
  if ! wait_until "$REDIS_START_TIMEOUT_S" redis_ping; then
    log_tail "$REDIS_LOG"
    die "redis did not answer PONG within ${REDIS_START_TIMEOUT_S}s"
  fi
  wait_until 5 redis_proc_alive || true # pid file is written right after fork
  log "redis ready on 127.0.0.1:$REDIS_PORT (pid $(redis_pid)) in $(elapsed_s "$t0")s"
}

redis_down() {
  local pid
  pid=$(redis_pid)
  if ! pid_alive "$pid" redis-server; then
    [[ ! -f $REDIS_PIDFILE ]] || rm -f -- "$REDIS_PIDFILE"
    log "redis not running"
    return 0
  fi
  log "redis: stopping (pid $pid)"
  # SHUTDOWN flushes the AOF. Only sent because the pid file says the redis on
  # this port is ours.
  redis_cli shutdown >/dev/null 2>&1 || true
  if ! wait_until 30 pid_gone "$pid"; then
    log "redis: SHUTDOWN did not stop pid $pid; sending SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until 15 pid_gone "$pid"; then
      log "redis: still alive; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_until 5 pid_gone "$pid" || die "could not stop redis pid $pid"
    fi
  fi
  rm -f -- "$REDIS_PIDFILE"
  log "redis stopped"
}

redis_status() {
  local pid
  pid=$(redis_pid)
  if pid_alive "$pid" redis-server; then
    if command -v redis-cli >/dev/null 2>&1 && redis_ping; then
      printf '%-9s %-13s port=%-6s pid=%s\n' redis running "$REDIS_PORT" "$pid"
      return 0
    fi
    printf '%-9s %-13s port=%-6s pid=%s\n' redis not-answering "$REDIS_PORT" "$pid"
    return 3
  fi
  printf '%-9s %-13s port=%-6s pid=%s\n' redis stopped "$REDIS_PORT" -
  return 3
}

redis_env() { printf 'export MODELYARD_REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT"; }

# ----------------------------------------------------------------------------
# Kafka (KRaft, one JVM that is broker and controller)
# ----------------------------------------------------------------------------
KAFKA_JAVA=
kafka_find_java() { # sets KAFKA_JAVA: $JAVA_HOME/bin/java, else java on PATH
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    KAFKA_JAVA=$JAVA_HOME/bin/java
  else
    KAFKA_JAVA=$(command -v java) || return 1
  fi
}

java_major() { # JAVA_BIN -> feature release ("17"); the release file avoids starting a JVM
  local home line
  home=$(dirname -- "$(dirname -- "$(readlink -f -- "$1")")")
  if [[ -r $home/release ]] && line=$(grep -m1 '^JAVA_VERSION=' "$home/release"); then
    line=${line#JAVA_VERSION=}
  else
    line=$("$1" -XshowSettings:properties -version 2>&1 | grep -m1 'java.specification.version') || return 1
    line=${line##*= }
  fi
  line=${line//\"/}
  line=${line#1.} # 1.8 -> 8
  printf '%s' "${line%%[!0-9]*}"
}

kafka_install_if_missing() {
  if ! kafka_find_java; then
    apt_install openjdk-17-jre-headless
    kafka_find_java || die "java not found after installing openjdk-17-jre-headless"
  fi
  local major
  major=$(java_major "$KAFKA_JAVA") || major=0
  ((${major:-0} >= KAFKA_MIN_JAVA)) ||
    die "$KAFKA_JAVA is Java ${major:-?}; Kafka 4 needs Java $KAFKA_MIN_JAVA+ (apt-get install openjdk-17-jre-headless, or set JAVA_HOME)"
}

kafka_version() { # the kafka.version property of the pom
  local v
  v=$(sed -n 's:.*<kafka\.version>\([^<]*\)</kafka\.version>.*:\1:p' "$KAFKA_POM" | head -n 1)
  [[ -n $v ]] || die "no <kafka.version> in $KAFKA_POM"
  printf '%s' "$v"
}

# The jars are (re)fetched when the pom changes, not only its kafka.version.
kafka_jars_marker() { printf 'kafka %s pom-sha256 %s\n' "$(kafka_version)" "$(sha256sum <"$KAFKA_POM" | cut -d' ' -f1)"; }

kafka_fetch_jars() {
  local want have='' tmp=$KAFKA_DIR/libs.tmp mvnlog=$KAFKA_DIR/mvn.log t0
  want=$(kafka_jars_marker)
  [[ -f $KAFKA_LIBS/.version ]] && have=$(<"$KAFKA_LIBS/.version")
  [[ $want == "$have" ]] && return 0
  command -v mvn >/dev/null 2>&1 || apt_install maven
  t0=$(now_us)
  log "kafka: fetching the Kafka $(kafka_version) broker jars with Maven (one-time; log: $mvnlog)..."
  rm -rf -- "$tmp"
  # Runs in $KAFKA_DIR so nothing lands in the repo; the Maven repository
  # (~/.m2 unless MAVEN_OPTS/settings say otherwise) is reused across resets.
  if ! (cd -- "$KAFKA_DIR" && spawn mvn -B -q -ntp -f "$KAFKA_POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp") >"$mvnlog" 2>&1; then
    log_tail "$mvnlog"
    die "mvn could not fetch the Kafka jars (see $mvnlog)"
  fi
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "mvn ran, but $tmp has no kafka_2.13 jar"
  printf '%s' "$want" >"$tmp/.version"
  rm -rf -- "$KAFKA_LIBS"
  mv -- "$tmp" "$KAFKA_LIBS"
  log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars ($(du -sh -- "$KAFKA_LIBS" | cut -f1)) in $KAFKA_LIBS in $(elapsed_s "$t0")s"
}

kafka_java_run() { # CLASS ARGS... : run a Kafka main class in the foreground
  "$KAFKA_JAVA" -Xmx256m -Dlog4j2.configurationFile="$KAFKA_LOG4J" -cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_conf() {
  # Rewritten on every start so port/path changes apply. Paths have no spaces
  # (checked in ensure_state_dir).
  cat >"$KAFKA_CONF" <<EOF
# Written by deploy/local/infra.sh; edits are overwritten on the next \`up\`.
# One KRaft node: broker and controller in one process, loopback only.
process.roles=broker,controller
node.id=1
# Static single-voter quorum: read from this file on every start, so a changed
# controller port just works (a --standalone/dynamic quorum stores it in the log).
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA

# The app creates its topics.
auto.create.topics.enable=false
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
# Internal topics: one replica; fewer partitions than the default 50 so the
# first consumer group / transaction starts faster. Fixed once created.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# Test data: keep a day or 128 MiB per partition, in 16 MiB segments.
log.retention.hours=24
log.retention.bytes=134217728
log.segment.bytes=16777216
log.retention.check.interval.ms=60000

# 2-core dev machines.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
  cat >"$KAFKA_LOG4J" <<EOF
# Written by deploy/local/infra.sh; edits are overwritten on the next \`up\`.
status = warn
name = modelyard-kafka
# The JVM exits on SIGTERM; Kafka flushes what it needs itself.
shutdownHook = disable
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_LOG
appender.file.filePattern = $KAFKA_LOG.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

kafka_format() { # once: format the log dir (meta.properties + bootstrap metadata)
  [[ -f $KAFKA_DATA/meta.properties ]] && return 0
  local cid fmtlog=$KAFKA_DIR/format.log
  if [[ -d $KAFKA_DATA ]]; then
    log "kafka: $KAFKA_DATA is a half-formatted leftover; recreating it"
    rm -rf -- "$KAFKA_DATA"
  fi
  [[ -s $KAFKA_DIR/cluster.id ]] || spawn kafka_java_run kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id" 2>"$fmtlog" ||
    die "kafka: StorageTool random-uuid failed: $(cat -- "$fmtlog")"
  cid=$(<"$KAFKA_DIR/cluster.id")
  log "kafka: formatting $KAFKA_DATA (cluster id $cid)"
  if ! spawn kafka_java_run kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_CONF" >"$fmtlog" 2>&1; then
    log_tail "$fmtlog"
    rm -rf -- "$KAFKA_DATA"
    die "kafka: storage format failed"
  fi
}

kafka_pid() { read_pidfile "$KAFKA_PIDFILE"; }
kafka_is_ours() { pid_alive "$1" java && pid_cmdline_has "$1" "kafka.Kafka $KAFKA_CONF"; }
kafka_proc_alive() { kafka_is_ours "$(kafka_pid)"; }

# Kafka's ApiVersions request (key 18, v0, correlation id 42) over /dev/tcp;
# ready = a response with our correlation id and error code 0. The broker only
# starts processing requests on its listener once it is unfenced, i.e. it can
# serve metadata, create topics and accept produce requests.
kafka_ready() {
  local hex
  # shellcheck disable=SC2016 # $1 is the child shell's
  hex=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
    printf "\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x05infra" >&3 &&
    head -c 10 <&3 | od -An -tx1' _ "$KAFKA_PORT" 2>/dev/null) || return 1
  hex=${hex//[!0-9a-f]/}
  [[ ${hex:8:12} == 0000002a0000 ]]
}

kafka_log_errors() { # FROM_LINE : the ERROR lines this start wrote, after the log tail
  [[ -f $KAFKA_LOG ]] || return 0
  local errs
  errs=$(tail -n "+$(($1 + 1))" -- "$KAFKA_LOG" | grep -E '^\[[^]]*\] (ERROR|FATAL) |^[A-Za-z.]*(Exception|Error): ' | head -n 8) || true
  [[ -n $errs ]] || return 0
  log "errors in $KAFKA_LOG since this start:"
  printf '%s\n' "$errs" | sed 's/^/[infra]   ! /' >&2
  if [[ $errs == *'Address already in use'* ]]; then
    log "hint: another process holds one of the ports now (ss -tanp | grep -E ':($KAFKA_PORT|$KAFKA_CONTROLLER_PORT)\b'); often an outgoing connection that was given it as its ephemeral local port"
  fi
}

kafka_up() {
  kafka_install_if_missing
  if kafka_proc_alive; then
    if wait_until "$KAFKA_START_TIMEOUT_S" kafka_ready; then
      log "kafka already running on 127.0.0.1:$KAFKA_PORT (pid $(kafka_pid))"
      return 0
    fi
    log_tail "$KAFKA_LOG"
    die "kafka pid $(kafka_pid) is running but not answering on 127.0.0.1:$KAFKA_PORT"
  fi
  mkdir -p -- "$KAFKA_DIR"
  if [[ -f $KAFKA_PIDFILE ]]; then
    log "kafka: removing stale pid file (pid $(kafka_pid) is not our running broker)"
    rm -f -- "$KAFKA_PIDFILE"
  fi
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_in_use "$p" && die "127.0.0.1:$p is already used by another process (see: ss -ltnp 'sport = :$p'); set MODELYARD_KAFKA_PORT / MODELYARD_KAFKA_CONTROLLER_PORT"
  done
  kafka_fetch_jars
  kafka_write_conf
  kafka_format

  local t0 pid rc=0 logstart=0
  t0=$(now_us)
  [[ -f $KAFKA_LOG ]] && logstart=$(wc -l <"$KAFKA_LOG")
  log "kafka: starting Kafka $(kafka_version) on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT, log: $KAFKA_LOG)"
  rotate_log "$KAFKA_OUT"
  printf '\n=== %s infra.sh: starting kafka\n' "$(date -u +%FT%TZ)" >>"$KAFKA_OUT"
  spawn_daemon "$KAFKA_PIDFILE" "$KAFKA_OUT" "$KAFKA_JAVA" \
    -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_LOG4J" -Dkafka.logs.dir="$KAFKA_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF" || die "kafka: the JVM did not start (see $KAFKA_OUT)"
  pid=$(kafka_pid)
  wait_ready "$KAFKA_START_TIMEOUT_S" "$pid" java kafka_ready || rc=$?
  if ((rc != 0)); then
    log_tail "$KAFKA_LOG" 15
    log_tail "$KAFKA_OUT" 10
    kafka_log_errors "$logstart"
    ((rc == 2)) && die "kafka (pid $pid) exited while starting"
    die "kafka did not answer on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT_S}s (pid $pid still running; \`${0##*/} down kafka\` stops it)"
  fi
  log "kafka ready on 127.0.0.1:$KAFKA_PORT (pid $pid) in $(elapsed_s "$t0")s"
}

kafka_down() {
  local pid
  pid=$(kafka_pid)
  if ! kafka_is_ours "$pid"; then
    [[ ! -f $KAFKA_PIDFILE ]] || rm -f -- "$KAFKA_PIDFILE"
    log "kafka not running"
    return 0
  fi
  local t0
  t0=$(now_us)
  log "kafka: stopping (pid $pid)"
  # SIGTERM = controlled shutdown: logs flushed, clean-shutdown marker written,
  # so the next start skips log recovery. Usually 1-3 s.
  stop_pid kafka "$pid" "$KAFKA_STOP_TIMEOUT_S"
  rm -f -- "$KAFKA_PIDFILE"
  log "kafka stopped in $(elapsed_s "$t0")s"
}

kafka_status() {
  local pid
  pid=$(kafka_pid)
  if kafka_is_ours "$pid"; then
    if kafka_ready; then
      printf '%-9s %-13s port=%-6s pid=%s\n' kafka running "$KAFKA_PORT" "$pid"
      return 0
    fi
    printf '%-9s %-13s port=%-6s pid=%s\n' kafka not-answering "$KAFKA_PORT" "$pid"
    return 3
  fi
  printf '%-9s %-13s port=%-6s pid=%s\n' kafka stopped "$KAFKA_PORT" -
  return 3
}

kafka_env() { printf 'export MODELYARD_KAFKA_BROKERS=127.0.0.1:%s\n' "$KAFKA_PORT"; }

# ----------------------------------------------------------------------------
# S3 (SeaweedFS: master + volume + filer + S3 gateway in one `weed` process)
# ----------------------------------------------------------------------------
s3_marker() { printf '%s@%s' "$S3_MODULE" "$S3_MODULE_VERSION"; }

s3_install_if_missing() {
  command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates
  local have=''
  [[ -f $S3_BIN.version ]] && have=$(<"$S3_BIN.version")
  [[ -x $S3_BIN && $have == "$(s3_marker)" ]] && return 0
  s3_build
}

s3_build() {
  local buildlog=$S3_DIR/build.log json dir t0 rc=0
  command -v go >/dev/null 2>&1 ||
    die "go not found: building SeaweedFS needs Go >= 1.26 on PATH (Debian 12's golang package is too old)"
  mkdir -p -- "$S3_DIR" "$STATE/bin"
  : >"$buildlog"
  t0=$(now_us)
  log "s3: building SeaweedFS $S3_MODULE@$S3_MODULE_VERSION with $(go env GOVERSION) (one-time; several minutes when the Go caches are cold; log: $buildlog)..."
  # `go install module@version` refuses a module whose go.mod has replace
  # directives, and SeaweedFS's has one. So: download the module into the Go
  # module cache and build inside it, with its own go.mod/go.sum (-mod=readonly:
  # exactly the pinned dependency versions, checked against its go.sum). Module
  # and build caches are the default ones (GOMODCACHE, GOCACHE), not $STATE.
  json=$(cd -- "$S3_DIR" && spawn env GOWORK=off GOFLAGS=-mod=mod go mod download -json "$S3_MODULE@$S3_MODULE_VERSION" 2>>"$buildlog") || rc=$?
  dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
  if ((rc != 0)) || [[ -z $dir || ! -d $dir/weed ]]; then
    printf '%s\n' "$json" >>"$buildlog"
    log_tail "$buildlog"
    die "s3: go mod download $S3_MODULE@$S3_MODULE_VERSION failed"
  fi
  rm -f -- "$S3_BIN.tmp"
  if ! (cd -- "$dir" && spawn env GOWORK=off GOFLAGS='-mod=readonly -buildvcs=false' CGO_ENABLED=0 \
    go build -trimpath -ldflags "-s -w -X $S3_MODULE/weed/util/version.COMMIT=${S3_MODULE_VERSION##*-}" \
    -o "$S3_BIN.tmp" ./weed) >>"$buildlog" 2>&1; then
    log_tail "$buildlog"
    die "s3: go build of SeaweedFS failed (see $buildlog)"
  fi
  mv -f -- "$S3_BIN.tmp" "$S3_BIN"
  s3_marker >"$S3_BIN.version"
  log "s3: built $S3_BIN ($(du -h -- "$S3_BIN" | cut -f1), $("$S3_BIN" version 2>/dev/null | head -n 1)) in $(elapsed_s "$t0")s"
}

s3_write_conf() {
  # Static S3 identity (rewritten on every start). The secret is a throwaway
  # for a loopback-only test server.
  (
    umask 077
    cat >"$S3_CONF" <<EOF
{
  "identities": [
    {
      "name": "$S3_ACCESS_KEY",
      "credentials": [{ "accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY" }],
      "actions": ["Admin", "Read", "List", "Tagging", "Write"]
    }
  ]
}
EOF
  )
}

s3_pid() { read_pidfile "$S3_PIDFILE"; }
s3_is_ours() { pid_alive "$1" weed && pid_cmdline_has "$1" "-dir=$S3_DATA"; }
s3_proc_alive() { s3_is_ours "$(s3_pid)"; }
s3_url() { printf 'http://127.0.0.1:%s' "$S3_PORT"; }
s3_healthy() { curl -sf -o /dev/null --max-time 2 "$(s3_url)/healthz"; }

# s3_curl METHOD PATH [curl args...] : SigV4-signed request; prints the HTTP status.
s3_curl() {
  local method=$1 path=$2
  shift 2
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$method" \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    "$@" "$(s3_url)$path"
}

# Ready = the gateway answers, our credentials work, the bucket exists (created
# here, idempotently: 409 = already ours) and an object can be written, read
# and deleted. The write matters: until the volume server has registered with
# the master, PUTs fail with "no free volumes" although /healthz is fine.
s3_ready_full() {
  local code probe=/$S3_BUCKET/.modelyard-infra-probe
  s3_healthy || return 1
  code=$(s3_curl PUT "/$S3_BUCKET") || return 1
  [[ $code == 200 || $code == 409 ]] || return 1
  # curl (7.88) signs the payload but does not send x-amz-content-sha256,
  # which S3 servers need for requests with a body. --max-time 40 (later
  # options win): while the master warms up, the S3 gateway itself retries for
  # up to ~15 s; a PUT we gave up on would still land after our DELETE below
  # and leave the probe object in the bucket.
  [[ $(s3_curl PUT "$probe" -H "x-amz-content-sha256: $(printf ok | sha256sum | cut -d' ' -f1)" \
    -H 'Content-Type: text/plain' --data-binary ok --max-time 40) == 200 ]] || return 1
  [[ $(s3_curl GET "$probe") == 200 ]] || return 1
  code=$(s3_curl DELETE "$probe") || return 1
  [[ $code == 204 || $code == 200 ]]
}
s3_ready_quick() { s3_healthy && [[ $(s3_curl HEAD "/$S3_BUCKET") == 200 ]]; }

s3_up() {
  mkdir -p -- "$S3_DIR"
  s3_install_if_missing
  if s3_proc_alive; then
    if wait_until "$S3_START_TIMEOUT_S" s3_ready_quick; then
      log "s3 (seaweedfs) already running on $(s3_url) (pid $(s3_pid))"
      return 0
    fi
    log_tail "$S3_LOG"
    die "s3 (seaweedfs) pid $(s3_pid) is running but $(s3_url) does not answer (or bucket $S3_BUCKET is missing)"
  fi
  if [[ -f $S3_PIDFILE ]]; then
    log "s3: removing stale pid file (pid $(s3_pid) is not our running weed)"
    rm -f -- "$S3_PIDFILE"
  fi
  local p
  for p in "$S3_PORT" "$S3_GRPC_PORT" "$S3_MASTER_PORT" "$S3_MASTER_GRPC_PORT" "$S3_VOLUME_PORT" \
    "$S3_VOLUME_GRPC_PORT" "$S3_FILER_PORT" "$S3_FILER_GRPC_PORT"; do
    port_in_use "$p" && die "127.0.0.1:$p is already used by another process (see: ss -ltnp 'sport = :$p'); SeaweedFS uses MODELYARD_S3_PORT ($S3_PORT) and +2,+10,+11,+20,+21,+30,+31: set MODELYARD_S3_PORT"
  done
  mkdir -p -- "$S3_DATA"
  s3_write_conf

  local t0 pid rc=0
  t0=$(now_us)
  log "s3: starting SeaweedFS S3 on $(s3_url) (master :$S3_MASTER_PORT, volume :$S3_VOLUME_PORT, filer :$S3_FILER_PORT; log: $S3_LOG)"
  rotate_log "$S3_LOG"
  printf '\n=== %s infra.sh: starting weed\n' "$(date -u +%FT%TZ)" >>"$S3_LOG"
  # Notes on the flags:
  # - every port and gRPC port is explicit (see S3_*_PORT); Iceberg/Lance
  #   catalog listeners (8181/9101 by default) are off; telemetry is off.
  # - -volume.max=0: as many volume slots as fit the disk; with the default 8,
  #   and 7 volumes grown per new collection (= bucket), the second bucket's
  #   writes fail with "no free volumes". WEED_MASTER_VOLUME_GROWTH_COPY_1=1
  #   grows one 256 MB volume at a time instead of 7 (what `weed mini` does).
  # - -volume.preStopSeconds=0: `down` does not wait 10 s for nothing.
  # - -master.electionTimeout=1s: a restarted single master elects itself
  #   after this timeout (default 10 s). After that the master still refuses
  #   volume assignment for a fixed 15 s "warmup" (3 x its hard-coded 5 s
  #   pulse) whenever volumes already exist, so a restart with data takes
  #   about 17 s until writes work; s3_ready_full waits for that.
  # - AWS_* unset: SeaweedFS would add them as a second admin identity.
  # - cwd = $S3_DIR and -config_dir=$S3_DIR: no master.toml/filer.toml from the
  #   caller's directory (~/.seaweedfs and /etc/seaweedfs are still searched).
  # - MODELYARD_S3_LOG_V=1..4: more verbose weed.log, for debugging.
  (cd -- "$S3_DIR" && spawn_daemon "$S3_PIDFILE" "$S3_LOG" \
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY WEED_MASTER_VOLUME_GROWTH_COPY_1=1 \
    "$S3_BIN" -logtostderr -v="${MODELYARD_S3_LOG_V:-0}" -config_dir="$S3_DIR" server \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$S3_DATA" \
    -master.port="$S3_MASTER_PORT" -master.port.grpc="$S3_MASTER_GRPC_PORT" \
    -master.volumeSizeLimitMB=256 -master.telemetry=false -master.electionTimeout=1s \
    -volume.port="$S3_VOLUME_PORT" -volume.port.grpc="$S3_VOLUME_GRPC_PORT" \
    -volume.max=0 -volume.preStopSeconds=0 \
    -filer -filer.port="$S3_FILER_PORT" -filer.port.grpc="$S3_FILER_GRPC_PORT" \
    -s3 -s3.port="$S3_PORT" -s3.port.grpc="$S3_GRPC_PORT" -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$S3_CONF") || die "s3: weed did not start (see $S3_LOG)"
  pid=$(s3_pid)
  wait_ready "$S3_START_TIMEOUT_S" "$pid" weed s3_ready_full || rc=$?
  if ((rc != 0)); then
    log_tail "$S3_LOG"
    ((rc == 2)) && die "s3: weed (pid $pid) exited while starting"
    die "s3 did not get ready on $(s3_url) within ${S3_START_TIMEOUT_S}s (pid $pid still running; \`${0##*/} down s3\` stops it)"
  fi
  log "s3 (seaweedfs) ready on $(s3_url), bucket $S3_BUCKET (pid $pid) in $(elapsed_s "$t0")s"
}

s3_down() {
  local pid
  pid=$(s3_pid)
  if ! s3_is_ours "$pid"; then
    [[ ! -f $S3_PIDFILE ]] || rm -f -- "$S3_PIDFILE"
    log "s3 not running"
    return 0
  fi
  local t0
  t0=$(now_us)
  log "s3: stopping seaweedfs (pid $pid)"
  stop_pid s3 "$pid" "$S3_STOP_TIMEOUT_S" quiet
  rm -f -- "$S3_PIDFILE"
  log "s3 stopped in $(elapsed_s "$t0")s"
}

s3_status() {
  local pid
  pid=$(s3_pid)
  if s3_is_ours "$pid"; then
    if s3_healthy; then
      printf '%-9s %-13s port=%-6s pid=%s\n' s3 running "$S3_PORT" "$pid"
      return 0
    fi
    printf '%-9s %-13s port=%-6s pid=%s\n' s3 not-answering "$S3_PORT" "$pid"
    return 3
  fi
  printf '%-9s %-13s port=%-6s pid=%s\n' s3 stopped "$S3_PORT" -
  return 3
}

s3_env() {
  printf 'export MODELYARD_S3_ENDPOINT=%s\n' "$(s3_url)"
  printf 'export MODELYARD_S3_ACCESS_KEY=%s\n' "$S3_ACCESS_KEY"
  printf 'export MODELYARD_S3_SECRET_KEY=%s\n' "$S3_SECRET_KEY"
  printf 'export MODELYARD_S3_BUCKET=%s\n' "$S3_BUCKET"
}

# ----------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------
# resolve_services NAME... -> sets SELECTED (default: all, in SERVICES order)
SELECTED=()
resolve_services() {
  SELECTED=()
  local want=() name key s
  for name in "$@"; do
    case $name in
      pg | postgres | postgresql) key=pg ;;
      s3 | minio | seaweedfs | weed) key=s3 ;;
      *) key=$name ;;
    esac
    [[ " ${SERVICES[*]} " == *" $key "* ]] || die "unknown service '$name' (known: ${SERVICES[*]/pg/postgres})"
    want+=("$key")
  done
  for s in "${SERVICES[@]}"; do
    if (($# == 0)) || [[ " ${want[*]} " == *" $s "* ]]; then SELECTED+=("$s"); fi
  done
}

validate_ports() {
  local p
  for p in "$PG_PORT" "$REDIS_PORT" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$S3_PORT"; do
    if ! [[ $p =~ ^[1-9][0-9]{0,4}$ ]] || ((p > 65535)); then die "invalid port '$p'"; fi
  done
  ((KAFKA_PORT != KAFKA_CONTROLLER_PORT)) || die "MODELYARD_KAFKA_PORT and MODELYARD_KAFKA_CONTROLLER_PORT must differ"
  # SeaweedFS needs 7 more ports; they follow the S3 port so that a second,
  # independent set of services only has to move MODELYARD_S3_PORT.
  ((S3_PORT <= 65535 - 31)) || die "MODELYARD_S3_PORT must be <= $((65535 - 31)) (SeaweedFS also uses S3 port +2..+31)"
  S3_GRPC_PORT=$((S3_PORT + 2))
  S3_MASTER_PORT=$((S3_PORT + 10))
  S3_MASTER_GRPC_PORT=$((S3_PORT + 11))
  S3_VOLUME_PORT=$((S3_PORT + 20))
  S3_VOLUME_GRPC_PORT=$((S3_PORT + 21))
  S3_FILER_PORT=$((S3_PORT + 30))
  S3_FILER_GRPC_PORT=$((S3_PORT + 31))
}

cmd_up() {
  local t0 s
  t0=$(now_us)
  resolve_services "$@"
  ensure_state_dir
  take_lock
  local ports=()
  for s in "${SELECTED[@]}"; do mapfile -t -O "${#ports[@]}" ports < <(service_ports "$s"); done
  reserve_ports "${ports[@]}"
  for s in "${SELECTED[@]}"; do "${s}_up"; done
  log "up: ${SELECTED[*]/pg/postgres} ready in $(elapsed_s "$t0")s (state: $STATE)"
}

cmd_down() {
  local i s
  resolve_services "$@"
  if [[ ! -d $STATE ]]; then
    log "nothing to stop ($STATE does not exist)"
    return 0
  fi
  take_lock
  for ((i = ${#SELECTED[@]} - 1; i >= 0; i--)); do
    s=${SELECTED[i]}
    "${s}_down"
  done
}

cmd_status() {
  local rc=0 s
  resolve_services "$@"
  for s in "${SELECTED[@]}"; do "${s}_status" || rc=3; done
  return "$rc"
}

cmd_env() {
  local s
  resolve_services "$@"
  for s in "${SELECTED[@]}"; do "${s}_env"; done
}

cmd_reset() {
  (($# == 0)) || die "reset takes no arguments"
  if [[ ! -d $STATE ]]; then
    log "nothing to reset ($STATE does not exist)"
    return 0
  fi
  [[ -e $STATE/$MARKER ]] || die "$STATE has no $MARKER marker; refusing to delete it"
  take_lock
  cmd_down_locked
  log "deleting state under $STATE"
  # Keep the lock file (a concurrent waiter holds an fd on it) and the marker.
  find "$STATE" -mindepth 1 -maxdepth 1 ! -name .lock ! -name "$MARKER" -exec rm -rf -- {} +
  log "reset done"
}

cmd_down_locked() {
  local i
  resolve_services
  for ((i = ${#SELECTED[@]} - 1; i >= 0; i--)); do "${SELECTED[i]}_down"; done
}

main() {
  if (($# == 0)); then
    usage
    exit 2
  fi
  local cmd=$1
  shift
  validate_ports
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    reset) cmd_reset "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage
      exit 2
      ;;
  esac
}

main "$@"
