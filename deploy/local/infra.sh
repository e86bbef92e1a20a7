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
# Services: postgres (alias pg), redis.
#
# Environment:
#   MODELYARD_INFRA_DIR    state folder (default <repo>/.state/infra)
#   MODELYARD_PG_PORT      PostgreSQL port (default 55432)
#   MODELYARD_REDIS_PORT   Redis port (default 56379)
#
# Only `env` and `status` write to stdout; all messages go to stderr with an
# `[infra]` prefix.
#
# Adding a service (e.g. kafka, minio) = append its key to SERVICES and define
#   <key>_up <key>_down <key>_status <key>_env   (aliases: resolve_services)
# with the same contracts as the pg_* / redis_* functions below:
#   _up      start if needed and wait until it really answers (die on failure)
#   _down    stop gracefully; no-op when not running
#   _status  print one status line; return 0 when running, 3 otherwise
#   _env     print `export VAR=value` lines
# Shared helpers: log/die, need_root_or_sudo, apt_install, wait_until,
# pid_alive, port_in_use, spawn (closes the lock fd for daemons).

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

# Order matters: `up` goes left to right, `down` right to left.
SERVICES=(pg redis)

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
services: ${SERVICES[*]/pg/postgres}
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

# spawn CMD... : run a command that may leave a daemon behind, with the lock fd
# closed. Otherwise the daemon inherits fd 9 and holds the flock forever, so the
# next `up`/`down` would block.
spawn() { "$@" 9>&-; }

pid_gone() { ! kill -0 "$1" 2>/dev/null || pid_zombie "$1"; }

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
  for p in "$PG_PORT" "$REDIS_PORT"; do
    if ! [[ $p =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then die "invalid port '$p'"; fi
  done
}

cmd_up() {
  local t0 s
  t0=$(now_us)
  resolve_services "$@"
  ensure_state_dir
  take_lock
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
