#!/usr/bin/env bash
# `npm test`: lint, type-check and build, then every Jest test — unit tests, and the integration
# and end-to-end suites against a real PostgreSQL. PostgreSQL comes from MODELYARD_DATABASE_URL when
# given; otherwise deploy/local/infra.sh starts one (installing it if needed) and this script stops
# it again at the end if it was not already running (the same for Redis, Kafka and S3). Extra
# arguments go to Jest.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false

step() { printf '\n== %s\n' "$*"; }

step "lint"
# The module-boundary rule reads Nx's project graph; computing it first makes the rule run.
npx nx show projects >/dev/null
npx eslint . --max-warnings 0

step "type-check and build"
npx tsc -b tsconfig.build.json
npx tsc -p tsconfig.json

step "web console: type-check and build (web/dist, served by the gateway)"
npx tsc -p web/tsconfig.json
npm run build:web --silent

step "Chromium for the console's browser tests"
# Debian's own package, driven by playwright-core; never a downloaded browser. Noto CJK: the zh-TW
# screenshots show Chinese, not empty boxes.
if ! command -v chromium >/dev/null || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then apt-get update && apt-get install -y chromium fonts-noto-cjk; fi

infra=deploy/local/infra.sh
# The real services the integration tests use. Given from the environment (MODELYARD_DATABASE_URL
# and friends) they are used as they are; otherwise infra.sh starts them (installing and building
# what is missing) and this script stops, at the end, those that were not running before.
started=()
if [ -z "${MODELYARD_DATABASE_URL:-}" ]; then
  step "PostgreSQL, Redis, Kafka and S3 (deploy/local/infra.sh)"
  for service in pg redis kafka s3; do
    if ! bash "$infra" status "$service" >/dev/null 2>&1; then started+=("$service"); fi
  done
  bash "$infra" up
  eval "$(bash "$infra" env)"
fi
cleanup() { if [ ${#started[@]} -gt 0 ]; then bash "$infra" down "${started[@]}" || true; fi; }
trap cleanup EXIT

# No --passWithNoTests: a selection that finds no test fails, so a mistyped path is a failure, not
# a pass. Paths given (`npm test -- e2e/src/x.int-spec.ts`) usually name tests of one selection
# only: a selection they name none of is skipped, and the run fails only if every one is.
selects_tests() {
  local listed
  # Jest's notes (--forceExit's) are noise here; its errors are shown.
  listed=$(NODE_OPTIONS=--experimental-vm-modules npx jest --listTests "$@" 2>&1) || { printf '%s\n' "$listed" >&2; return 1; }
  grep -q '^/' <<<"$listed"
}
run_jest() {
  local name=$1; shift
  step "jest: $name tests"
  if [ "$requested" -gt 0 ] && ! selects_tests "$@"; then
    echo "none of the tests asked for ($requested argument(s)) are $name tests: skipped"
    return
  fi
  selections_run=$((selections_run + 1))
  NODE_OPTIONS=--experimental-vm-modules npx jest --ci --json --outputFile="$results/$name.json" "$@" || status=$?
}
requested=$#
selections_run=0
results=$(mktemp -d)
status=0
# Unit and component (web, jsdom) tests in parallel; integration tests one file at a time, since they
# start databases and whole processes (the console's browser tests among them) and two cores shared
# between them would turn timings into noise.
run_jest unit --selectProjects unit web --maxWorkers=2 "$@"
# --forceExit: a client library (kafkajs or ioredis) can keep a socket open after its last test
# closed it; the run must end when the tests have.
run_jest integration --selectProjects int --runInBand --forceExit "$@"
if [ "$selections_run" -eq 0 ]; then
  printf '\njest: no test matches %s\n' "$*" >&2
  status=1
fi
# A plain closing line that any CI can read, whatever it knows of Jest.
node -e '
  const fs = require("fs");
  const runs = process.argv.slice(1).filter(fs.existsSync).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  const line = (label, passed, failed, skipped, total) =>
    `${label.padEnd(13)}${[failed && `${failed} failed`, skipped && `${skipped} skipped`, `${passed} passed`].filter(Boolean).join(", ")}, ${total} total`;
  // Jest prints one summary per selection; this one covers the whole run, in the same shape.
  console.log("\nAll Jest selections together:");
  console.log(line("Test Suites:", sum("numPassedTestSuites"), sum("numFailedTestSuites"), sum("numPendingTestSuites"), sum("numTotalTestSuites")));
  console.log(line("Tests:", sum("numPassedTests"), sum("numFailedTests"), sum("numPendingTests"), sum("numTotalTests")));
  console.log(`jest: ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests")} skipped`);
' "$results/unit.json" "$results/integration.json" || true
rm -rf "$results"
exit "$status"
