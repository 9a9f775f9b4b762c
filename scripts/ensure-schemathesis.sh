#!/usr/bin/env bash
# Makes sure schemathesis (PyPI, the OpenAPI fuzzer that tests/tests/schemathesis.rs runs against
# the service) and openapi-spec-validator can run: creates their virtualenv in
# .cache/schemathesis-venv and installs the pinned tests/schemathesis/requirements.txt when the
# venv is missing or the requirements changed since the last install. Installs Debian's
# python3-venv when `python3 -m venv` cannot work (as root). Idempotent; prints nothing when there
# is nothing to do. Works from any working directory.
set -euo pipefail

cd "$(dirname "$0")/.."
requirements=tests/schemathesis/requirements.txt
venv=.cache/schemathesis-venv
# A copy of the requirements the venv was built from: comparing contents, unlike timestamps,
# survives a fresh checkout.
installed=$venv/requirements.installed

if [ -x "$venv/bin/schemathesis" ] && cmp -s "$requirements" "$installed"; then
  exit 0
fi

# Debian splits ensurepip (which venv needs) out of python3 into python3-venv.
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "ensure-schemathesis: installing python3 and python3-venv from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq python3 python3-venv >/dev/null
  else
    echo "ensure-schemathesis: python3 with venv is required (apt-get install python3-venv as root)" >&2
    exit 1
  fi
fi

echo "ensure-schemathesis: installing $requirements into $venv" >&2
# Rebuilt from scratch so that a package dropped from the requirements does not linger.
rm -rf "$venv"
mkdir -p .cache
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
cp "$requirements" "$installed"
