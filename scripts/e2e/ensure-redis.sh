#!/usr/bin/env bash
# Makes sure redis-server is installed (argocd-server needs Redis): nothing when it is on PATH,
# else `apt-get install -y redis-server` (Debian/Ubuntu, as root or with sudo). Idempotent. Prints
# the path of redis-server on success; exits 1 with the reason otherwise.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then command -v redis-server; exit 0; fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "ensure-redis: redis-server missing and not root (install redis-server)" >&2; exit 1; }
  SUDO="sudo -n"
fi
command -v apt-get >/dev/null 2>&1 || { echo "ensure-redis: redis-server missing and no apt-get (install Redis yourself)" >&2; exit 1; }
echo "ensure-redis: installing redis-server (apt-get)" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2 \
  || { $SUDO apt-get update -q >&2 && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >&2; } \
  || { echo "ensure-redis: apt-get install redis-server failed" >&2; exit 1; }
command -v redis-server
