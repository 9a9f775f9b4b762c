#!/usr/bin/env bash
# Makes sure the test OpenID Provider (tests/oidc-provider, npm package oidc-provider) can run:
# installs Node.js and npm from Debian's packages when they are missing (as root), and runs
# `npm ci` when node_modules is missing or older than package-lock.json. Idempotent; prints
# nothing when there is nothing to do. Works from any working directory.
set -euo pipefail

cd "$(dirname "$0")/.."
dir=tests/oidc-provider

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "ensure-oidc-provider: installing nodejs and npm from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "ensure-oidc-provider: node and npm are required (apt-get install nodejs npm as root)" >&2
    exit 1
  fi
fi

if [ ! -d "$dir/node_modules/oidc-provider" ] \
  || [ ! -f "$dir/node_modules/.package-lock.json" ] \
  || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  echo "ensure-oidc-provider: npm ci in $dir" >&2
  npm ci --no-audit --no-fund --prefix "$dir" >&2
fi
