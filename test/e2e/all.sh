#!/usr/bin/env bash
# Every e2e script, one after the other (each starts and stops its own servers); fails when any
# of them failed, after running them all.
set -uo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rc=0
for t in smoke two-stacks takeover upgrade drift policy vault-readiness; do
  bash "$DIR/$t.sh" || rc=1
done
exit "$rc"
