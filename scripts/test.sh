#!/usr/bin/env bash
# The whole test suite: lint, types, then every test on SQLite and again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

if [[ ! -x /usr/bin/chromium ]]; then
  echo "== installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [[ ! -x /usr/sbin/dovecot ]]; then
  echo "== installing Debian's dovecot for the IMAP tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  # The tests run dovecots of their own on free ports; a system one is not wanted.
  service dovecot stop >/dev/null 2>&1 || true
fi

echo "== ruff";  "$VENV/bin/ruff" check src tests bench && "$VENV/bin/ruff" format --check src tests bench
echo "== mypy";  "$VENV/bin/mypy"
echo "== tests on SQLite"
BALIE_TEST_BACKEND=sqlite "$VENV/bin/pytest" -q "$@"
echo "== tests on PostgreSQL"
BALIE_TEST_BACKEND=postgres "$VENV/bin/pytest" -q "$@"
