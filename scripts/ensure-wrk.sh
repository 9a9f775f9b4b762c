#!/usr/bin/env bash
# Makes sure wrk (Debian's `wrk`, an HTTP load generator) is installed: the search HTTP benchmark
# (tests/benches/search_http.rs) drives the server with it. Installs it with apt-get when it is
# missing (as root; runs `apt-get update` first when the package lists are missing). Idempotent;
# prints nothing when there is nothing to do.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-wrk: wrk is missing; install it as root: apt-get install wrk" >&2
  exit 1
fi
echo "ensure-wrk: installing wrk from Debian" >&2
if ! apt-get install -y -qq wrk >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi
