#!/usr/bin/env bash
# Makes sure the browser tests can run: Debian's Chromium and ChromeDriver, and Japanese fonts for
# readable screenshots (installed as root when missing), and axe-core (npm, pinned in tests/browser/package-lock.json), which the tests inject
# into every page they open. Idempotent; prints nothing when there is nothing to do. Works from
# any working directory.
set -euo pipefail

cd "$(dirname "$0")/.."
dir=tests/browser

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
  || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "ensure-chromium: installing chromium, chromium-driver and fonts-noto-cjk from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  else
    echo "ensure-chromium: chromium and chromedriver are required (apt-get install chromium chromium-driver fonts-noto-cjk as root)" >&2
    exit 1
  fi
fi

if [ ! -f "$dir/node_modules/axe-core/axe.min.js" ] \
  || [ ! -f "$dir/node_modules/.package-lock.json" ] \
  || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  echo "ensure-chromium: npm ci in $dir" >&2
  npm ci --no-audit --no-fund --prefix "$dir" >&2
fi
