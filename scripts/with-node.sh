#!/usr/bin/env bash
# Runs a command with Node >= 22 first on PATH (see ensure-node.sh).
set -euo pipefail
bin="$(bash "$(dirname "$0")/ensure-node.sh")"
PATH="$bin:$PATH" exec "$@"
