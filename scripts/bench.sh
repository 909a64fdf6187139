#!/usr/bin/env bash
# npm run bench -- [--envs 2,10,30] [--repeat 3] [--out bench.json] [--pulumi-yaml FILE] [--no-floors] [--label TEXT]
#
# Wall times of the real Pulumi engine against real servers, one stack per environment count
# (docs/benchmark.md): `pulumi up` from empty, a no-op preview, the read-only drift check, the
# equivalent shell check (one kubectl get / Vault read per object) and `pulumi destroy`. Prints a
# table and writes bench.json. A command that prints figures, not a test: it fails only when a step
# it measures fails.
#
# Sets up what the e2e tests use (test/e2e/lib.sh e2e_start): the toolchain (scripts/e2e/toolchain.sh,
# built or found in the cache), etcd + kube-apiserver + kube-controller-manager + OpenBao dev
# (scripts/e2e/cluster.sh, CRDs from ${GITOPS_PLATFORM_CRDS:-../shared/fixtures/crds}), offline
# Pulumi (scripts/e2e/pulumi-env.sh), a throw-away project dir linking to this checkout and the
# GitLab API double; then runs ops/bench.ts. Everything is stopped and removed at exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BENCH_ROOT=$ROOT BENCH_CALLER_CWD=$PWD
NODE_BIN=$(bash "$ROOT/scripts/ensure-node.sh")
export PATH="$NODE_BIN:$PATH"

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Bad arguments fail here, before minutes of set-up.
(cd "$ROOT" && node --import tsx ops/bench.ts --check "$@")

[[ -d "$ROOT/node_modules/@pulumi/pulumi" ]] || { echo "bench: run npm ci first (no node_modules)" >&2; exit 1; }
# shellcheck source=e2e/crds.sh
source "$ROOT/scripts/e2e/crds.sh"
CRDS=$(crds_dir "$ROOT")
compgen -G "$CRDS/*.yaml" >/dev/null || { echo "bench: no CRD fixtures at $CRDS (set GITOPS_PLATFORM_CRDS): the stack's custom resources need them" >&2; exit 1; }
export GITOPS_PLATFORM_CRDS=$CRDS

CLUSTER_DIR="" WORK="" GL_PID=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$GL_PID" ]] && kill -0 "$GL_PID" 2>/dev/null; then
    kill -TERM "$GL_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$GL_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GL_PID" 2>/dev/null
  fi
  [[ -n "$CLUSTER_DIR" ]] && bash "$ROOT/scripts/e2e/cluster.sh" stop "$CLUSTER_DIR"
  declare -F e2e_pulumi_cleanup >/dev/null && e2e_pulumi_cleanup
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ $rc -ne 0 && -n "${BENCH_KEEP_LOGS:-}" ]]; then
      say "logs kept in $WORK/logs"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT

say "toolchain"
E2E_BIN=$(bash "$ROOT/scripts/e2e/toolchain.sh" | tail -n 1)
export E2E_BIN

say "cluster"
eval "$(bash "$ROOT/scripts/e2e/cluster.sh" start)"
CLUSTER_DIR=$E2E_CLUSTER_DIR
# Helm is off in the benchmark stacks: the operators are "installed out of band" (CRDs from the
# fixtures, namespaces here), as in the e2e tests.
kubectl create namespace argocd >/dev/null
kubectl create namespace vault-secrets-operator-system >/dev/null

say "pulumi env"
# shellcheck source=e2e/pulumi-env.sh
. "$ROOT/scripts/e2e/pulumi-env.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gitops-bench.XXXXXX")
mkdir "$WORK/tmp" "$WORK/logs"
export TMPDIR="$WORK/tmp"
# --pulumi-yaml FILE runs another Pulumi.yaml (e.g. the one before a runtime change) on the same program
PULUMI_YAML="$ROOT/Pulumi.yaml"
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --pulumi-yaml) PULUMI_YAML=${args[$((i + 1))]} ;;
    --pulumi-yaml=*) PULUMI_YAML=${args[$i]#--pulumi-yaml=} ;;
  esac
done
case "$PULUMI_YAML" in /*) ;; *) PULUMI_YAML="$BENCH_CALLER_CWD/$PULUMI_YAML" ;; esac
cp "$PULUMI_YAML" "$WORK/Pulumi.yaml"
for f in stacks components node_modules package.json tsconfig.json; do
  [[ -e "$ROOT/$f" ]] && ln -s "$ROOT/$f" "$WORK/$f"
done
export BENCH_WORK=$WORK

say "gitlab double"
export GL_GROUP=bench-group/platform
GL_API_TOKEN="glpat-bench-$(openssl rand -hex 12)"
export GL_API_TOKEN
mkdir "$WORK/gitlab-double"
(cd "$ROOT" && exec setsid node --import tsx test/support/gitlab-double/main.ts \
  --group "$GL_GROUP" --owner-token "$GL_API_TOKEN" --url-file "$WORK/gitlab-double/url" \
  >"$WORK/gitlab-double/log" 2>&1 </dev/null) &
GL_PID=$!
for _ in $(seq 1 100); do [[ -s "$WORK/gitlab-double/url" ]] && break; kill -0 "$GL_PID" 2>/dev/null || break; sleep 0.2; done
[[ -s "$WORK/gitlab-double/url" ]] || { cat "$WORK/gitlab-double/log" >&2; echo "bench: the GitLab double did not start" >&2; exit 1; }
GL_URL=$(cat "$WORK/gitlab-double/url")
export GL_URL

cd "$WORK"
node --import tsx "$ROOT/ops/bench.ts" "$@"
