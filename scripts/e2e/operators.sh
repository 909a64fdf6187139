#!/usr/bin/env bash
# The real controllers of the platform, run out of cluster against an e2e cluster
# (scripts/e2e/cluster.sh), each with the RBAC its own install grants, never the admin:
#   - Vault Secrets Operator (VSO) v1.5.0: ServiceAccount vault-secrets-operator-controller-manager
#     in the operator namespace, bound to the chart's manager ClusterRole (the chart's role.yaml is
#     generated from the module's config/rbac/role.yaml, which is applied here); CRDs from the
#     module's chart/crds.
#   - Argo CD v3.2.6 ApplicationSet controller: ServiceAccount argocd-applicationset-controller
#     with the namespace install's Role (manifests/base/applicationset-controller); CRDs from the
#     module's manifests/crds; the argocd-cm ConfigMap and argocd-secret Secret an Argo CD install
#     creates (the controller generates nothing without them).
#
#   eval "$(scripts/e2e/cluster.sh start)"
#   scripts/e2e/operators.sh start [vso] [appset]   # default both; waits until each is running
#   scripts/e2e/operators.sh stop                   # before cluster.sh stop
#
# Uses KUBECONFIG (admin), E2E_CLUSTER_DIR (pids and logs go there: logs/vso.log,
# logs/appset.log), E2E_BIN (toolchain bin dir). Options:
#   E2E_VSO_NAMESPACE     operator namespace (default vault-secrets-operator-system)
#   E2E_ARGOCD_NAMESPACE  Argo CD namespace (default argocd)
#   E2E_APPSET_PROGRESSIVE=1  --enable-progressive-syncs (what the program's Argo CD values set
#                         when services have different sync waves)
# Namespaces are created when missing. Progress goes to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE="${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}"
BIN="${E2E_BIN:-$CACHE/toolchain/bin}"
DIR=${E2E_CLUSTER_DIR:?E2E_CLUSTER_DIR is not set: start the cluster first (scripts/e2e/cluster.sh start)}
VSO_NS=${E2E_VSO_NAMESPACE:-vault-secrets-operator-system}
ARGO_NS=${E2E_ARGOCD_NAMESPACE:-argocd}
# shellcheck source=../../test/e2e/toolchain/versions.env
. "$ROOT/test/e2e/toolchain/versions.env"

log() { printf '[operators %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# the module's directory in the Go module cache (downloaded by the toolchain build)
module_dir() {
  (cd "$ROOT/test/e2e/toolchain/operators" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' "$1")
}

ensure_ns() { kubectl get namespace "$1" >/dev/null 2>&1 || kubectl create namespace "$1" >/dev/null; }

# kubeconfig for ServiceAccount $2 in namespace $1 (a TokenRequest token valid for 24 h)
sa_kubeconfig() {
  local ns=$1 sa=$2 out=$3 token server ca
  token=$(kubectl create token "$sa" -n "$ns" --duration 24h)
  server=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
  ca=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  cat >"$out" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: "$server", certificate-authority-data: "$ca"}
users:
- name: $sa
  user: {token: "$token"}
contexts:
- name: $sa
  context: {cluster: e2e, user: $sa, namespace: $ns}
current-context: $sa
KCFG
  chmod 600 "$out"
}

spawn() { # name, command...
  local name=$1; shift
  setsid "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo "$!" >"$DIR/pids/$name"
}

wait_running() { # name, seconds, grep pattern in its log that says it is up
  local name=$1 timeout=$2 pattern=$3 t0=$SECONDS
  until grep -qE "$pattern" "$DIR/logs/$name.log" 2>/dev/null; do
    kill -0 "$(cat "$DIR/pids/$name")" 2>/dev/null || { tail -n 30 "$DIR/logs/$name.log" >&2; die "$name exited"; }
    (( SECONDS - t0 > timeout )) && { tail -n 30 "$DIR/logs/$name.log" >&2; die "$name not running after ${timeout}s"; }
    sleep 0.3
  done
  log "$name running ($(( SECONDS - t0 ))s)"
}

apply_crds() { # directory: its CRD manifests (not a kustomization.yaml next to them)
  local f files=()
  for f in "$1"/*.yaml; do [[ $(basename "$f") == kustomization.yaml ]] || files+=(-f "$f"); done
  kubectl apply --server-side --force-conflicts "${files[@]}" >/dev/null
  kubectl wait --for condition=established --timeout=60s "${files[@]}" >/dev/null
}

start_vso() {
  [[ -x "$BIN/vault-secrets-operator" ]] || die "$BIN/vault-secrets-operator missing: run scripts/e2e/toolchain.sh"
  local mod sa=vault-secrets-operator-controller-manager role=vault-secrets-operator-manager-role
  mod=$(module_dir github.com/hashicorp/vault-secrets-operator)
  apply_crds "$mod/chart/crds"
  ensure_ns "$VSO_NS"
  kubectl create serviceaccount "$sa" -n "$VSO_NS" >/dev/null
  sed "s/^  name: manager-role$/  name: $role/" "$mod/config/rbac/role.yaml" | kubectl apply -f - >/dev/null
  kubectl create clusterrolebinding vault-secrets-operator-manager-rolebinding \
    --clusterrole "$role" --serviceaccount "$VSO_NS:$sa" >/dev/null
  sa_kubeconfig "$VSO_NS" "$sa" "$DIR/vso.kubeconfig"
  spawn vso env OPERATOR_NAMESPACE="$VSO_NS" KUBECONFIG="$DIR/vso.kubeconfig" "$BIN/vault-secrets-operator" \
    --leader-elect=false --metrics-bind-address=127.0.0.1:0 --health-probe-bind-address=127.0.0.1:0
  wait_running vso 60 'Starting workers'
  log "VSO v$VSO_VERSION watching every namespace as $VSO_NS/$sa (log $DIR/logs/vso.log)"
}

start_appset() {
  [[ -x "$BIN/argocd" ]] || die "$BIN/argocd missing: run scripts/e2e/toolchain.sh"
  local mod base sa=argocd-applicationset-controller
  mod=$(module_dir github.com/argoproj/argo-cd/v3)
  base="$mod/manifests/base/applicationset-controller"
  apply_crds "$mod/manifests/crds"
  ensure_ns "$ARGO_NS"
  kubectl apply -n "$ARGO_NS" -f "$base/argocd-applicationset-controller-sa.yaml" \
    -f "$base/argocd-applicationset-controller-role.yaml" -f "$base/argocd-applicationset-controller-rolebinding.yaml" >/dev/null
  # What an Argo CD install creates: the settings the controller reads before generating anything.
  kubectl apply -n "$ARGO_NS" -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm, labels: {app.kubernetes.io/name: argocd-cm, app.kubernetes.io/part-of: argocd}}
---
apiVersion: v1
kind: Secret
metadata: {name: argocd-secret, labels: {app.kubernetes.io/name: argocd-secret, app.kubernetes.io/part-of: argocd}}
stringData: {server.secretkey: "$(openssl rand -hex 16)"}
YAML
  sa_kubeconfig "$ARGO_NS" "$sa" "$DIR/appset.kubeconfig"
  # the binary picks its component by the name it is called with
  ln -sf "$(readlink -f "$BIN/argocd")" "$DIR/argocd-applicationset-controller"
  local progressive=()
  [[ "${E2E_APPSET_PROGRESSIVE:-0}" == 1 ]] && progressive=(--enable-progressive-syncs)
  spawn appset "$DIR/argocd-applicationset-controller" --kubeconfig "$DIR/appset.kubeconfig" \
    --namespace "$ARGO_NS" --enable-leader-election=false --metrics-addr 127.0.0.1:0 --probe-addr 127.0.0.1:0 \
    --webhook-addr 127.0.0.1:0 \
    --loglevel info "${progressive[@]}"
  wait_running appset 60 'Starting workers|Starting Controller'
  log "ApplicationSet controller (Argo CD v$ARGOCD_VERSION) in $ARGO_NS as $sa${progressive:+, progressive syncs on} (log $DIR/logs/appset.log)"
}

stop() {
  local n pid
  for n in appset vso; do
    [[ -f "$DIR/pids/$n" ]] || continue
    pid=$(cat "$DIR/pids/$n")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$DIR/pids/$n"
  done
}

case "${1:-}" in
  start)
    shift
    [[ -f "$DIR/.e2e-cluster" ]] || die "$DIR is not an e2e cluster dir"
    # finds the controllers in the toolchain cache, or builds them (waits for a build in progress)
    BIN=$(bash "$ROOT/scripts/e2e/toolchain.sh" vault-secrets-operator argocd | tail -n 1)
    what=("${@:-vso appset}")
    for w in ${what[*]}; do
      case "$w" in vso) start_vso ;; appset) start_appset ;; *) die "unknown operator: $w (vso, appset)" ;; esac
    done
    ;;
  stop) stop ;;
  *) echo "usage: $0 start [vso] [appset] | stop" >&2; exit 2 ;;
esac
