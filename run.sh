#!/usr/bin/env bash
# Resonance set-up and entry points.
#   ./run.sh demo   install the runtime only and serve the demo on http://127.0.0.1:8000
#                   (DEBUG off, private mode offered: see the README)
#   ./run.sh test   install everything (runtime, training, test tools) and run the whole suite
#   ./run.sh setup  install everything without running anything
set -euo pipefail
cd "$(dirname "$0")"

VENV=${VENV:-.venv}
PY="$VENV/bin/python"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_system_packages() {
  local missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  # npm fetches ONNX Runtime Web (private mode) for the demo and the tests.
  command -v npm >/dev/null || missing+=(npm)
  if [ "${1:-}" = test ]; then
    command -v chromium >/dev/null || missing+=(chromium)
    # The SAML sign-in tests' identity provider (pysaml2) signs with the xmlsec1 program.
    command -v xmlsec1 >/dev/null || missing+=(xmlsec1)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    # Wait for another apt or dpkg process (unattended upgrades, a second set-up) instead of
    # failing at once on its lock.
    local wait=(-o DPkg::Lock::Timeout=600)
    as_root apt-get "${wait[@]}" update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get "${wait[@]}" install -y -q "${missing[@]}"
  fi
}

# install_python_packages base|dev: base is the runtime (web, worker, demo); dev adds the
# training stack and the test tools. A dev install satisfies base too.
install_python_packages() {
  local profile=$1
  if [ ! -x "$PY" ]; then
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
  fi
  local want
  want=$(cat requirements/*.txt constraints.txt | sha256sum | cut -d' ' -f1)
  for done_profile in dev "$profile"; do
    if [ "$(cat "$VENV/.requirements-$done_profile.sha256" 2>/dev/null)" = "$want" ]; then
      return
    fi
  done
  echo "Installing Python packages (requirements/$profile.txt)"
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q -r "requirements/$profile.txt" -c constraints.txt
  echo "$want" > "$VENV/.requirements-$profile.sha256"
}

# ONNX Runtime Web (private mode, copied into static/vendor/) and axe-core (the browser
# tests' accessibility checks, never served).
install_node_packages() {
  local stamp=node_modules/.package-lock.sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    npm ci --no-audit --no-fund --loglevel=error
    scripts/vendor_browser_runtime.sh
    echo "$want" > "$stamp"
  fi
  ls static/vendor/onnxruntime-web/*/ort.wasm.min.mjs >/dev/null 2>&1 || scripts/vendor_browser_runtime.sh
}

prepare_database() {
  "$PY" manage.py migrate --noinput -v0
  "$PY" manage.py collectstatic --noinput -v0
}

case "${1:-}" in
  setup)
    install_system_packages test
    install_python_packages dev
    install_node_packages
    ;;
  demo)
    # The demo shows every indicator; run it as SIGNAL_PROFILE=eu ./run.sh demo to see the
    # EU profile (no voice, no emotion inference).
    export SIGNAL_PROFILE="${SIGNAL_PROFILE:-standard}"
    # Like production (no debug pages, static files from WhiteNoise, styled errors), with
    # scoring on the device offered to every employee (My data), on SQLite with in-process tasks.
    export DEBUG="${DEBUG:-false}" PRIVATE_MODE="${PRIVATE_MODE:-optional}"
    install_system_packages demo
    install_python_packages base
    install_node_packages
    prepare_database
    "$PY" manage.py setup_models
    "$PY" manage.py seed_demo
    echo "Serving Resonance on http://127.0.0.1:8000  (Ctrl-C to stop)"
    exec "$PY" manage.py runserver 127.0.0.1:8000
    ;;
  test)
    shift
    install_system_packages test
    install_python_packages dev
    install_node_packages
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/mypy"
    "$PY" manage.py makemigrations --check --dry-run -v0
    exec "$VENV/bin/pytest" "$@"
    ;;
  *)
    echo "usage: $0 demo | test [pytest args] | setup" >&2
    exit 2
    ;;
esac
