#!/usr/bin/env bash
# The load benchmark's HTTP driver: Debian's wrk package, installed when missing (as scripts/with-services.sh
# installs Postgres and Redis).
set -euo pipefail
command -v wrk >/dev/null && exit 0
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "Installing wrk from Debian's packages..."
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends wrk >/dev/null \
  || { echo "could not install wrk" >&2; exit 2; }
