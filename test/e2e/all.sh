#!/usr/bin/env bash
# Every e2e script (each starts and stops its own servers on free 127.0.0.1 ports, in its own temp
# dirs); fails when any of them failed, after running them all.
#   E2E_JOBS=N   scripts run N at a time (default 1). They share nothing but the toolchain cache,
#                so 2 on a 2-core machine saves wall time (the engine waits on I/O a lot); each
#                script's output is printed as one block when it ends.
#   E2E_ONLY="a b"  run only these scripts.
# Longest first, so that a parallel run ends with the short ones; the scripts that run the
# controllers (operators.sh) last, so that a cold CI run builds the controllers meanwhile.
set -uo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL=(drift faults two-stacks smoke takeover vault-readiness policy upgrade argocd-ci registry-source access operators)
read -r -a SCRIPTS <<<"${E2E_ONLY:-${ALL[*]}}"
JOBS=${E2E_JOBS:-1}
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/gitops-e2e-all.XXXXXX")
T0=$SECONDS

# The servers and Pulumi once, before any script starts (each would wait on the build's lock).
bash "$DIR/../../scripts/e2e/toolchain.sh" etcd kube-apiserver kube-controller-manager bao pulumi \
  pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-vault >/dev/null || exit 1

run_one() { # script name: runs it, prints its output as one block, records its result
  local t=$1 t0=$SECONDS rc=0
  [[ -f "$DIR/$t.sh" ]] || { echo "[all] $t.sh missing" >&2; echo "$t 1 0" >"$LOGS/$t.rc"; return; }
  bash "$DIR/$t.sh" >"$LOGS/$t.log" 2>&1 || rc=$?
  echo "$t $rc $(( SECONDS - t0 ))" >"$LOGS/$t.rc"
  { echo "===== $t.sh (exit $rc, $(( SECONDS - t0 ))s)"; cat "$LOGS/$t.log"; } >&2
}
export -f run_one
export DIR LOGS

if (( JOBS > 1 )); then
  printf '%s\n' "${SCRIPTS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one "$@"' _ {}
else
  for t in "${SCRIPTS[@]}"; do run_one "$t"; done
fi

rc=0
echo "== e2e summary (${JOBS} at a time, $(( SECONDS - T0 ))s wall)"
for t in "${SCRIPTS[@]}"; do
  if [[ -f "$LOGS/$t.rc" ]]; then
    read -r _ code secs <"$LOGS/$t.rc"
    printf '  %-16s %-28s %5ss\n' "$t" "$(tail -n 1 "$LOGS/$t.log" 2>/dev/null)" "$secs"
    (( code == 0 )) || rc=1
  else
    printf '  %-16s did not run\n' "$t"; rc=1
  fi
done
rm -rf "$LOGS"
exit "$rc"
