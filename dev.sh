#!/usr/bin/env bash
# ./dev.sh        set everything up, precompute the sample gallery if needed, serve the app
# ./dev.sh test   set everything up and run every test suite (what CI runs)
#
# Environment: PORT (default 8000), PYTHON (default python3), SSL_ATTENTION_IMAGES / _STORE / _DB.
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
      python -m pip install -q "torch==$TORCH_VERSION"
    fi
    python -m pip install -q -e ".[models,api,test,dev]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

precompute_samples() {
  say "checking the sample gallery's attention store"
  python -m precompute.samples
}

serve() {
  local port=${PORT:-8000}
  say "serving on http://127.0.0.1:$port (API docs at /docs)"
  exec python -m uvicorn app.backend.main:app --host 127.0.0.1 --port "$port" --reload \
    --reload-dir app --reload-dir src
}

run_tests() {
  say "ruff"
  ruff check .
  ruff format --check .
  say "mypy"
  mypy
  say "pytest"
  python -m pytest -q -p no:cacheprovider
}

case "${1:-}" in
  "")
    setup_python
    precompute_samples
    serve
    ;;
  test)
    setup_python
    run_tests
    ;;
  *)
    echo "usage: ./dev.sh [test]" >&2
    exit 2
    ;;
esac
