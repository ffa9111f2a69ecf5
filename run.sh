#!/usr/bin/env bash
# Resonance set-up and entry points.
#   ./run.sh demo   set up everything and serve the demo on http://127.0.0.1:8000
#   ./run.sh test   set up everything and run the whole test suite (lint included)
set -euo pipefail
cd "$(dirname "$0")"

VENV=${VENV:-.venv}
PY="$VENV/bin/python"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_system_packages() {
  local missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  if [ "${1:-}" = test ]; then
    command -v chromium >/dev/null || missing+=(chromium)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q "${missing[@]}"
  fi
}

install_python_packages() {
  if [ ! -x "$PY" ]; then
    python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha256"
  local want
  want=$(cat requirements/*.txt constraints.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$PY" -m pip install -q --upgrade pip
    "$PY" -m pip install -q -r requirements/dev.txt -c constraints.txt
    echo "$want" > "$stamp"
  fi
}

prepare_database() {
  "$PY" manage.py migrate --noinput -v0
  "$PY" manage.py collectstatic --noinput -v0
}

case "${1:-}" in
  setup)
    install_system_packages test
    install_python_packages
    ;;
  demo)
    install_system_packages demo
    install_python_packages
    prepare_database
    "$PY" manage.py setup_models
    "$PY" manage.py seed_demo
    echo "Serving Resonance on http://127.0.0.1:8000  (Ctrl-C to stop)"
    exec "$PY" manage.py runserver 127.0.0.1:8000
    ;;
  test)
    shift
    install_system_packages test
    install_python_packages
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$PY" manage.py makemigrations --check --dry-run -v0
    exec "$VENV/bin/pytest" "$@"
    ;;
  *)
    echo "usage: $0 demo | test [pytest args] | setup" >&2
    exit 2
    ;;
esac
