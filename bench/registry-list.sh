#!/usr/bin/env bash
# `npm run bench`: GET /api/v1/ai-models/?type=llm&status=active&page_size=50 over 10,000 seeded
# models, in distributed mode (gateway + registry processes, real PostgreSQL) and in standalone mode
# (one process, embedded PGlite), each beside a bare Fastify baseline running the same SQL on the
# same data, measured with autocannon in interleaved rounds. See bench/README.md.
#
# Environment (all optional):
#   BENCH_MODES        "distributed standalone" (default) or one of them
#   BENCH_RUNS         rounds per measurement, default 3 (median reported)
#   BENCH_DURATION     seconds per autocannon run, default 10
#   BENCH_CONNECTIONS  connections of the max-throughput runs, default 10
#   BENCH_RATE         fixed request rate of the latency runs, default 200 (over 20 connections)
#   BENCH_TOTAL        models seeded, default 10000
#   BENCH_API_SEED     how many of them go through the API (the rest by bulk SQL), default 500
#   BENCH_PROFILE=1    afterwards, CPU-profile the gateway and registry under load (distributed)
#   BENCH_SKIP_BUILD=1 use the existing services/*/dist
#   BENCH_OUT          where results go, default bench/out
# Raw results, logs and the table: bench/out/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

MODES=${BENCH_MODES:-distributed standalone}
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-10}
RATE=${BENCH_RATE:-200}
TOTAL=${BENCH_TOTAL:-10000}
API_SEED=${BENCH_API_SEED:-500}
QUERY='type=llm&status=active&page_size=50'
OUT=${BENCH_OUT:-bench/out}
TOKEN="bench-admin-$(node -e 'process.stdout.write(require("crypto").randomBytes(12).toString("hex"))')"
INFRA=deploy/local/infra.sh
SCRATCH_DB=modelyard_bench

rm -rf "$OUT/distributed" "$OUT/standalone" "$OUT/profile" "$OUT/logs" "$OUT"/sql-*.json "$OUT"/seed-*.json "$OUT"/explain-*.txt "$OUT/results.md"
mkdir -p "$OUT/logs"
WORK=$(mktemp -d /tmp/modelyard-bench.XXXXXX)

log() { printf '\n== %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# Processes we start, and cleaning up after them (and only them).
# ---------------------------------------------------------------------------------------------
declare -A PIDS=()
stop_pg=""
server_url=""
db_created=""

start_bg() { # name cmd... : background process, output to $OUT/logs/<name>.log
  local name=$1
  shift
  "$@" >"$OUT/logs/$name.log" 2>&1 &
  PIDS[$name]=$!
}

stop_bg() { # name : SIGTERM, wait up to 20 s, then SIGKILL
  local name=$1 pid=${PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  unset "PIDS[$name]"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

pg_admin() { # SQL on the server's maintenance database
  node -e '
    const pg = require("pg");
    const c = new pg.Client({ connectionString: process.argv[1] });
    c.connect().then(() => c.query(process.argv[2])).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });
  ' "$server_url" "$1"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for name in "${!PIDS[@]}"; do stop_bg "$name"; done
  if [ -n "$db_created" ]; then pg_admin "DROP DATABASE IF EXISTS $SCRATCH_DB WITH (FORCE)" || true; fi
  if [ -n "$stop_pg" ]; then bash "$INFRA" down pg || true; fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

wait_ready() { # url name : up to 90 s
  for _ in $(seq 900); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    if ! kill -0 "${PIDS[$2]}" 2>/dev/null; then
      echo "$2 exited; its log:" >&2
      tail -n 40 "$OUT/logs/$2.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$2 not ready at $1 after 90 s" >&2
  return 1
}

run_args=(--runs "$RUNS" --duration "$DURATION" --connections "$CONNECTIONS" --rate "$RATE" --rate-connections 20 --token "$TOKEN")

# ---------------------------------------------------------------------------------------------
log "machine"
{
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu:     $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)"
  echo "memory:  $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at start)"
  echo "node:    $(node -v)"
  echo "kernel:  $(uname -r)"
} | tee "$OUT/machine.txt" >&2

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  log "build (tsc -b tsconfig.build.json)"
  npx tsc -b tsconfig.build.json
fi

# ---------------------------------------------------------------------------------------------
if [[ " $MODES " == *" distributed "* ]]; then
  log "distributed: PostgreSQL"
  if ! bash "$INFRA" status pg >/dev/null 2>&1; then stop_pg=yes; fi
  bash "$INFRA" up pg
  server_url=$(bash "$INFRA" env pg | sed -n 's/^export MODELYARD_DATABASE_URL=//p')
  db_url=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$server_url" "$SCRATCH_DB")
  pg_admin "DROP DATABASE IF EXISTS $SCRATCH_DB WITH (FORCE)"
  pg_admin "CREATE DATABASE $SCRATCH_DB"
  db_created=yes
  echo "postgres: $(node -e '
    const pg = require("pg"); const c = new pg.Client({ connectionString: process.argv[1] });
    c.connect().then(() => c.query("show server_version")).then((r) => { console.log(r.rows[0].server_version); return c.end(); });
  ' "$server_url")" | tee -a "$OUT/machine.txt" >&2

  gw_port=$(free_port) rpc_port=$(free_port) health_port=$(free_port) base_port=$(free_port)
  common_env=(MODELYARD_HOST=127.0.0.1 MODELYARD_LOG_LEVEL=warn MODELYARD_DATA_DIR="$WORK/distributed"
    MODELYARD_REGISTRY_HOST=127.0.0.1 MODELYARD_REGISTRY_PORT="$rpc_port" MODELYARD_SECRET_KEY="$(openssl rand -base64 32)")
  start_registry() {
    start_bg registry env "${common_env[@]}" MODELYARD_DATABASE_URL="$db_url" MODELYARD_HEALTH_PORT="$health_port" \
      node "$@" services/registry/dist/main.js
    wait_ready "http://127.0.0.1:$health_port/readyz" registry
  }
  start_gateway() {
    start_bg gateway env "${common_env[@]}" MODELYARD_ADMIN_TOKEN="$TOKEN" PORT="$gw_port" \
      node "$@" services/gateway/dist/main.js
    wait_ready "http://127.0.0.1:$gw_port/readyz" gateway
  }
  log "distributed: registry (migrations) and gateway"
  start_registry
  start_gateway

  log "distributed: seeding $TOTAL models ($API_SEED through the API)"
  node bench/seed.mjs --api "http://127.0.0.1:$gw_port" --token "$TOKEN" --db "$db_url" \
    --total "$TOTAL" --api-count "$API_SEED" --out "$OUT/seed-distributed.json"

  log "distributed: the SQL TypeORM runs for the query, and the baseline"
  node bench/capture-sql.mjs "$db_url" >"$OUT/sql-distributed.json"
  node bench/explain-list.mjs "$db_url" "$OUT/sql-distributed.json" >"$OUT/explain-distributed.txt"
  start_bg baseline-pg node bench/baseline-server.mjs --driver pg --url "$db_url" --pool 10 --sql "$OUT/sql-distributed.json" \
    --port "$base_port"
  wait_ready "http://127.0.0.1:$base_port/readyz" baseline-pg

  log "distributed: autocannon"
  node bench/run.mjs --mode distributed --out "$OUT/distributed" "${run_args[@]}" --db-url "$db_url" \
    --target "modelyard=http://127.0.0.1:$gw_port/api/v1/ai-models/?$QUERY pids=${PIDS[gateway]},${PIDS[registry]}" \
    --target "baseline-pg=http://127.0.0.1:$base_port/models?$QUERY pids=${PIDS[baseline-pg]}"
  stop_bg baseline-pg

  if [ -n "${BENCH_PROFILE:-}" ] && [ "${BENCH_PROFILE}" != 0 ]; then
    log "distributed: CPU profiles of the baseline, then of the gateway and registry, under load"
    mkdir -p "$OUT/profile"
    start_bg baseline-pg node --cpu-prof --cpu-prof-dir "$OUT/profile/baseline-pg" bench/baseline-server.mjs --driver pg --url "$db_url" \
      --pool 10 --sql "$OUT/sql-distributed.json" --port "$base_port"
    wait_ready "http://127.0.0.1:$base_port/readyz" baseline-pg
    npx autocannon -c "$CONNECTIONS" -d 5 "http://127.0.0.1:$base_port/models?$QUERY" >/dev/null 2>&1
    npx autocannon -c "$CONNECTIONS" -d "$DURATION" -j "http://127.0.0.1:$base_port/models?$QUERY" >"$OUT/profile/autocannon-baseline-pg.json" 2>/dev/null
    stop_bg baseline-pg
    node bench/cpuprofile-top.mjs "$(ls "$OUT/profile/baseline-pg"/*.cpuprofile | head -n1)" 30 writev | tee "$OUT/profile/baseline-pg.txt" >&2
    stop_bg gateway
    stop_bg registry
    start_registry --cpu-prof --cpu-prof-dir "$OUT/profile/registry"
    start_gateway --cpu-prof --cpu-prof-dir "$OUT/profile/gateway"
    npx autocannon -c "$CONNECTIONS" -d 5 -H "authorization=Bearer $TOKEN" "http://127.0.0.1:$gw_port/api/v1/ai-models/?$QUERY" >/dev/null 2>&1
    npx autocannon -c "$CONNECTIONS" -d "$DURATION" -j -H "authorization=Bearer $TOKEN" "http://127.0.0.1:$gw_port/api/v1/ai-models/?$QUERY" \
      >"$OUT/profile/autocannon-distributed.json" 2>/dev/null
    stop_bg gateway
    stop_bg registry
    for service in gateway registry; do
      node bench/cpuprofile-top.mjs "$(ls "$OUT/profile/$service"/*.cpuprofile | head -n1)" 30 writev | tee "$OUT/profile/$service.txt" >&2
    done
  fi
  stop_bg gateway
  stop_bg registry
  pg_admin "DROP DATABASE IF EXISTS $SCRATCH_DB WITH (FORCE)"
  db_created=""
fi

# ---------------------------------------------------------------------------------------------
if [[ " $MODES " == *" standalone "* ]]; then
  sa_port=$(free_port) direct_port=$(free_port) socket_port=$(free_port)
  mkdir -p "$WORK/tmp" "$WORK/tmp-baseline"
  start_standalone() {
    # TMPDIR: the embedded database's private socket folder is created there, so the seeder finds it.
    start_bg standalone env TMPDIR="$WORK/tmp" MODELYARD_DATA_DIR="$WORK/standalone" PORT="$sa_port" \
      MODELYARD_HOST=127.0.0.1 MODELYARD_ADMIN_TOKEN="$TOKEN" MODELYARD_LOG_LEVEL=warn node "$@" services/standalone/dist/main.js
    wait_ready "http://127.0.0.1:$sa_port/readyz" standalone
  }
  log "standalone: start"
  start_standalone
  socket_dir=$(ls -d "$WORK"/tmp/modelyard-pg-* | head -n1)

  log "standalone: seeding $TOTAL models ($API_SEED through the API, the rest over the embedded database's socket)"
  node bench/seed.mjs --api "http://127.0.0.1:$sa_port" --token "$TOKEN" --socket-dir "$socket_dir" \
    --total "$TOTAL" --api-count "$API_SEED" --out "$OUT/seed-standalone.json"
  node bench/capture-sql.mjs "$socket_dir" >"$OUT/sql-standalone.json"
  node bench/explain-list.mjs "$socket_dir" "$OUT/sql-standalone.json" >"$OUT/explain-standalone.txt"

  log "standalone: copying the seeded PGlite database for the baselines, restarting"
  stop_bg standalone
  cp -a "$WORK/standalone/pglite" "$WORK/pglite-direct"
  cp -a "$WORK/standalone/pglite" "$WORK/pglite-socket"
  start_standalone
  start_bg baseline-pglite node bench/baseline-server.mjs --driver pglite --data-dir "$WORK/pglite-direct" \
    --sql "$OUT/sql-standalone.json" --port "$direct_port"
  start_bg baseline-pglite-socket env TMPDIR="$WORK/tmp-baseline" node bench/baseline-server.mjs --driver pglite-socket \
    --data-dir "$WORK/pglite-socket" --sql "$OUT/sql-standalone.json" --port "$socket_port"
  wait_ready "http://127.0.0.1:$direct_port/readyz" baseline-pglite
  wait_ready "http://127.0.0.1:$socket_port/readyz" baseline-pglite-socket

  log "standalone: autocannon"
  node bench/run.mjs --mode standalone --out "$OUT/standalone" "${run_args[@]}" \
    --target "modelyard=http://127.0.0.1:$sa_port/api/v1/ai-models/?$QUERY pids=${PIDS[standalone]}" \
    --target "baseline-pglite=http://127.0.0.1:$direct_port/models?$QUERY pids=${PIDS[baseline-pglite]}" \
    --target "baseline-pglite-socket=http://127.0.0.1:$socket_port/models?$QUERY pids=${PIDS[baseline-pglite-socket]}"
  stop_bg baseline-pglite
  stop_bg baseline-pglite-socket
  stop_bg standalone

  if [ -n "${BENCH_PROFILE:-}" ] && [ "${BENCH_PROFILE}" != 0 ]; then
    log "standalone: CPU profile under load"
    mkdir -p "$OUT/profile"
    start_standalone --cpu-prof --cpu-prof-dir "$OUT/profile/standalone"
    npx autocannon -c "$CONNECTIONS" -d 5 -H "authorization=Bearer $TOKEN" "http://127.0.0.1:$sa_port/api/v1/ai-models/?$QUERY" >/dev/null 2>&1
    npx autocannon -c "$CONNECTIONS" -d "$DURATION" -j -H "authorization=Bearer $TOKEN" "http://127.0.0.1:$sa_port/api/v1/ai-models/?$QUERY" \
      >"$OUT/profile/autocannon-standalone.json" 2>/dev/null
    stop_bg standalone
    node bench/cpuprofile-top.mjs "$(ls "$OUT/profile/standalone"/*.cpuprofile | head -n1)" 30 | tee "$OUT/profile/standalone.txt" >&2
  fi
fi

# ---------------------------------------------------------------------------------------------
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the end)" | tee -a "$OUT/machine.txt" >&2
log "results"
summaries=()
for mode in $MODES; do summaries+=("$OUT/$mode/summary.json"); done
node bench/report.mjs "${summaries[@]}" | tee "$OUT/results.md"
for mode in $MODES; do
  printf '\nseed (%s): %s\n' "$mode" "$(cat "$OUT/seed-$mode.json" | tr -d '\n ' )"
done | tee -a "$OUT/results.md"
