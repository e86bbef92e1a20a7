#!/usr/bin/env bash
# API fuzzing: schemathesis runs every operation of the OpenAPI document (/api/docs-json) against a
# standalone Modelyard, with generated valid and invalid requests, and fails on any server error
# other than the documented ones for an unreachable upstream (see scripts/api-fuzz.toml). Needs the
# build (`npm run build`, or what `npm test` built); installs schemathesis from PyPI into a
# throw-away virtual environment. API_FUZZ_SEED=<n> replays the run a summary names.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5

step() { printf '\n== %s\n' "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/modelyard-api-fuzz.XXXXXX")
server=''
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

[ -f services/standalone/dist/main.js ] || { echo "api-fuzz: services/standalone/dist/main.js is missing; run npm run build first" >&2; exit 1; }

step "schemathesis $SCHEMATHESIS_VERSION in a throw-away venv"
if ! python3 -m venv "$work/venv" 2>/dev/null; then
  # Debian's python3 comes without venv (ensurepip) until python3-venv is installed.
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv "$work/venv"
fi
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"

port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
token="fuzz-$(node -e 'console.log(require("node:crypto").randomBytes(24).toString("hex"))')"

step "standalone Modelyard on 127.0.0.1:$port (data in $work/data)"
# The Hub points at a closed port: previews and imports fail at once, as documented (502), instead
# of depending on this machine's network.
MODELYARD_ADMIN_TOKEN="$token" MODELYARD_DATA_DIR="$work/data" PORT="$port" MODELYARD_HOST=127.0.0.1 \
  MODELYARD_LOG_LEVEL=warn MODELYARD_HF_ENDPOINT=http://127.0.0.1:9 \
  node services/standalone/dist/main.js >"$work/modelyard.log" 2>&1 &
server=$!
ready() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$port/readyz"; }
for _ in $(seq 120); do
  if ready; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then cat "$work/modelyard.log" >&2; echo "api-fuzz: Modelyard exited during start-up" >&2; exit 1; fi
  sleep 0.5
done
ready || { cat "$work/modelyard.log" >&2; echo "api-fuzz: Modelyard not ready after 60 s" >&2; exit 1; }

step "schemathesis: every operation of /api/docs-json"
started=$(date +%s)
status=0
# One worker: Python 3.11's ast.parse, which Hypothesis calls, is not thread-safe (CPython gh-106905).
"$work/venv/bin/st" --config-file scripts/api-fuzz.toml run "http://127.0.0.1:$port/api/docs-json" \
  --header "Authorization: Bearer $token" --workers 1 ${API_FUZZ_SEED:+--seed "$API_FUZZ_SEED"} || status=$?
echo "api-fuzz: schemathesis took $(($(date +%s) - started)) s"
if [ "$status" -ne 0 ]; then
  # A 500 answers with an error id; the log line under that id says what failed.
  echo "api-fuzz: failed; errors Modelyard logged:" >&2
  grep '"level":50' "$work/modelyard.log" | tail -n 20 >&2 || true
fi
exit "$status"
