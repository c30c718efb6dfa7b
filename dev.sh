#!/usr/bin/env bash
# ./dev.sh        set everything up, precompute the sample gallery if needed, serve the app
# ./dev.sh test   set everything up and run every test suite (what CI runs)
#
# Environment: PORT (default 8000), PYTHON (default python3), SSL_ATTENTION_IMAGES / _STORE / _DB.
# The web app (app/frontend) needs Node.js 20.19+ and npm; without them ./dev.sh serves the API only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON=${PYTHON:-python3}
VENV=.venv
TORCH_VERSION=2.13.0  # a CPU wheel of exactly this version is on the dev machines; others pull GBs of CUDA

say() { printf '\033[1m[dev.sh]\033[0m %s\n' "$*" >&2; }

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  # shellcheck disable=SC1091
  . "$VENV/bin/activate"
  local stamp
  stamp="$VENV/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "installing Python packages (torch==$TORCH_VERSION first)"
    python -m pip install -q --upgrade pip
    if ! python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
      # A machine that keeps the CPU wheel in /opt/wheels (these dev machines do) installs it from there.
      local wheels=()
      if [ -d /opt/wheels ]; then wheels=(--find-links /opt/wheels); fi
      python -m pip install -q "${wheels[@]}" "torch==$TORCH_VERSION"
    fi
    python -m pip install -q -e ".[models,api,test,dev]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

FRONTEND=app/frontend
NODE_MIN=20.19

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    node -e "const [a,b]=process.versions.node.split('.').map(Number),[x,y]='$NODE_MIN'.split('.').map(Number);process.exit(a>x||(a===x&&b>=y)?0:1)"
}

# The web app: npm ci when package-lock.json changed, a build into app/frontend/dist when its sources did.
# setup_frontend required: fail without Node.js (tests); otherwise warn and serve the API alone.
setup_frontend() {
  if ! node_ok; then
    if [ "${1:-}" = required ]; then
      say "the web app needs Node.js $NODE_MIN+ and npm (found: $(node --version 2>/dev/null || echo none))"
      return 1
    fi
    say "Node.js $NODE_MIN+ and npm not found: serving the API only (install Node.js to get the web app)"
    return 0
  fi
  local lock_stamp
  lock_stamp="$FRONTEND/node_modules/.installed-$(sha256sum "$FRONTEND/package-lock.json" | cut -c1-16)"
  if [ ! -f "$lock_stamp" ]; then
    say "installing the web app's packages (npm ci)"
    (cd "$FRONTEND" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$lock_stamp"
  fi
  local sources
  sources=$(cd "$FRONTEND" && find src public index.html package-lock.json tsconfig.json vite.config.ts \
    -type f -not -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  local built="$FRONTEND/node_modules/.dist-sources"
  if [ ! -f "$FRONTEND/dist/index.html" ] || [ "$(cat "$built" 2>/dev/null)" != "$sources" ]; then
    say "building the web app into $FRONTEND/dist"
    (cd "$FRONTEND" && npm run build --silent)
    echo "$sources" >"$built"
  fi
}

# Debian's Chromium for the browser tests (never a browser download of playwright's own).
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return 0
  fi
  say "installing Chromium (Debian package) for the browser tests"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

run_frontend_tests() {
  CHROMIUM_PATH=$(command -v chromium)
  export CHROMIUM_PATH
  export SSL_ATTENTION_PYTHON="$PWD/$VENV/bin/python"
  say "web app: the generated API types match the API (src/api/schema.gen.ts; npm run types regenerates)"
  (cd "$FRONTEND" && npm run --silent types:check)
  say "web app: type check and lint (tsc, eslint)"
  (cd "$FRONTEND" && npm run --silent lint)
  say "web app: unit tests (vitest)"
  (cd "$FRONTEND" && npm test --silent)
  say "web app: browser tests (playwright-core + Chromium, against the API over a tiny precomputed store)"
  (cd "$FRONTEND" && npm run --silent test:e2e)
}

precompute_samples() {
  say "checking the sample gallery's attention store"
  python -m precompute.samples
}

# The Ask worker (`precompute worker`, docs/ask.md) beside the API when the model packages are
# installed; stopped with the API.
start_worker() {
  if ! python -c "import torch, transformers" >/dev/null 2>&1; then
    say "torch/transformers are not installed: no Ask worker (jobs wait until a \`precompute worker\` runs)"
    return 0
  fi
  mkdir -p data/cache
  say "starting an Ask worker beside the API (log: data/cache/worker.log)"
  python -m precompute.samples --worker >>data/cache/worker.log 2>&1 &
  WORKER_PID=$!
  # shellcheck disable=SC2064
  trap "kill $WORKER_PID 2>/dev/null || true" EXIT
}

serve() {
  local port=${PORT:-8000}
  start_worker
  say "serving on http://127.0.0.1:$port (API docs at /docs)"
  python -m uvicorn app.backend.main:app --host 127.0.0.1 --port "$port" --reload \
    --reload-dir app --reload-dir src
}

as_postgres() {
  # initdb and the server refuse to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- sh -c "$1"; else sh -c "$1"; fi
}

# A throwaway PostgreSQL for the catalog tests, where the server is installed (apt-get install postgresql):
# the catalog must work on any SQLAlchemy URL, not only SQLite. Without it those tests run on SQLite alone.
start_test_postgres() {
  local initdb bin dir port
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$initdb" ] || { [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; }; then
    say "PostgreSQL is not installed: the catalog tests run on SQLite only"
    return 0
  fi
  bin=$(dirname "$initdb")
  dir=$(mktemp -d)
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
  port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if as_postgres "$initdb -D $dir/data -A trust -U postgres >/dev/null" &&
    as_postgres "$bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1' -l $dir/log -w start >/dev/null"; then
    export SSL_ATTENTION_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    # shellcheck disable=SC2064
    trap "as_postgres '$bin/pg_ctl -D $dir/data -m immediate stop' >/dev/null 2>&1; rm -rf '$dir'" EXIT
    say "catalog tests also run on a throwaway PostgreSQL (port $port)"
  else
    say "PostgreSQL did not start: the catalog tests run on SQLite only"
  fi
}

run_tests() {
  say "ruff"
  ruff check .
  ruff format --check .
  say "mypy"
  mypy
  say "pytest"
  start_test_postgres
  python -m pytest -q -p no:cacheprovider --durations=25
}

case "${1:-}" in
  "")
    setup_python
    setup_frontend
    precompute_samples
    serve
    ;;
  test)
    setup_python
    setup_frontend required
    ensure_chromium
    run_tests
    run_frontend_tests
    ;;
  *)
    echo "usage: ./dev.sh [test]" >&2
    exit 2
    ;;
esac
