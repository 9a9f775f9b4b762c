#!/usr/bin/env bash
# Makes sure the Python icalendar library (PyPI), which tests/tests/calendar.rs reads the calendar
# feeds with, can run: creates its virtualenv in .cache/icalendar-venv and installs the pinned
# tests/icalendar/requirements.txt when the venv is missing or the requirements changed since the
# last install. Needs python3 with venv (scripts/ensure-schemathesis.sh installs it as root).
# Idempotent; prints nothing when there is nothing to do. Works from any working directory.
set -euo pipefail

cd "$(dirname "$0")/.."
requirements=tests/icalendar/requirements.txt
venv=.cache/icalendar-venv
installed=$venv/requirements.installed

if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$installed"; then
  exit 0
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo "ensure-icalendar: python3 with venv is required (apt-get install python3-venv as root)" >&2
  exit 1
fi

echo "ensure-icalendar: installing $requirements into $venv" >&2
rm -rf "$venv"
mkdir -p .cache
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
cp "$requirements" "$installed"
