#!/usr/bin/env bash
# One command runs the main job on a local platform (npm run demo / npm run demo:down):
#   up    builds or finds the toolchain (progress on screen), starts etcd + kube-apiserver +
#         kube-controller-manager + OpenBao, the Vault Secrets Operator, the Argo CD ApplicationSet
#         controller and the GitLab API double, all on 127.0.0.1; runs `pulumi up` of a demo stack
#         (2 environments, 2 services in 2 sync waves, a GitLab deploy token) generated into a
#         project dir that links to this checkout; prints what now exists and the next commands.
#   down  stops every process the demo started and removes its state.
#   env   prints the exports for a shell that wants to look around (kubectl, pulumi, curl Vault).
# The demo's state file: ${GITOPS_PLATFORM_CACHE:-~/.cache/gitops-platform}/demo/state.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE="${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}"
DEMO="$CACHE/demo"
STATE="$DEMO/state"

down() {
  [[ -f "$STATE" ]] || { echo "demo: nothing to stop (no $STATE)"; return 0; }
  # shellcheck disable=SC1090
  . "$STATE"
  if [[ -n "${GL_PID:-}" ]] && kill -0 "$GL_PID" 2>/dev/null; then kill -TERM "$GL_PID" 2>/dev/null || true; fi
  if [[ -n "${CLUSTER_DIR:-}" && -d "$CLUSTER_DIR" ]]; then
    E2E_CLUSTER_DIR=$CLUSTER_DIR bash "$ROOT/scripts/e2e/operators.sh" stop || true
    bash "$ROOT/scripts/e2e/cluster.sh" stop "$CLUSTER_DIR" || true
  fi
  [[ -n "${WORK:-}" && "$WORK" == */gitops-e2e-project.* ]] && rm -rf "$WORK"
  [[ -n "${PULUMI_HOME:-}" && "$PULUMI_HOME" == */gitops-e2e-pulumi.* ]] && rm -rf "$PULUMI_HOME"
  rm -rf "$DEMO"
  echo "demo: stopped and removed"
}

up() {
  if [[ -f "$STATE" ]]; then
    echo "demo: already running (state $STATE). Look around with: eval \"\$(npm run -s demo:env)\"; stop it with: npm run demo:down" >&2
    exit 1
  fi
  [[ -d "$ROOT/node_modules/@pulumi/pulumi" ]] || { echo "demo: run npm ci first" >&2; exit 1; }
  cat >&2 <<'MSG'
== gitops-platform demo
The local platform is built from Go modules (etcd, kube-apiserver, kube-controller-manager,
OpenBao, the Pulumi CLI and its kubernetes and vault providers, the Vault Secrets Operator, Argo CD)
and cached in ~/.cache/gitops-platform/toolchain. First time on 2 cores: about 30-40 minutes
(each binary shows [k/n] below); afterwards: seconds. Everything listens on 127.0.0.1 only.
MSG
  NAME=demo
  # shellcheck source=../test/e2e/lib.sh
  . "$ROOT/test/e2e/lib.sh"
  mkdir -p "$DEMO"
  # e2e_start's EXIT trap tears everything down if any step below fails; it is removed at the end.
  e2e_start
  trap 'rc=$?; rm -rf "$DEMO"; (exit $rc); e2e_cleanup' EXIT
  STACK=demo
  E2E_STACKS=("$STACK")
  cat >"$STATE" <<STATEFILE
CLUSTER_DIR='$CLUSTER_DIR'
WORK='$WORK'
GL_PID='$GL_PID'
PULUMI_HOME='$PULUMI_HOME'
STATEFILE

  step "operators: Vault Secrets Operator, ApplicationSet controller"
  E2E_APPSET_PROGRESSIVE=1 bash "$ROOT/scripts/e2e/operators.sh" start vso appset

  step "demo stack"
  pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
  cfg() { pulumi config set --stack "$STACK" "$@" >/dev/null; }
  cfg kubernetes:kubeconfig "$KUBECONFIG"
  cfg vault:address "$VAULT_ADDR"
  cfg --secret vault:token "$VAULT_TOKEN"
  cfg gitops-platform:namespacePrefix demo
  cfg gitops-platform:environments '{"dev":{},"prod":{}}'
  cfg gitops-platform:services '[{"name":"api-gateway","syncWave":0},{"name":"frontend","syncWave":1}]'
  cfg gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" \
    '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:"demo-registry",expiresInDays:30,rotateBeforeDays:7}}')"
  cfg --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
  cfg gitops-platform:argocd '{"enabled":false}'
  cfg gitops-platform:vso "$(jq -cn --arg a "$VAULT_ADDR" '{enabled:false,vaultAddress:$a}')"
  cfg gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
    '{kvMount:"secret",manageKvMount:false,pathPrefix:"demo",kubernetesHost:$host,kubernetesCaCert:$ca}')"

  step "pulumi up --stack demo"
  local t0=$SECONDS
  if ! pulumi up --yes --skip-preview --non-interactive --stack "$STACK" | tee "$DEMO/up.log" >&2; then
    echo "demo: pulumi up failed (log above; operators' logs in $CLUSTER_DIR/logs)" >&2
    exit 1
  fi
  local up_s=$(( SECONDS - t0 ))
  cat >"$DEMO/env.sh" <<ENV
$(cat "$CLUSTER_DIR/env")
export PULUMI_HOME='$PULUMI_HOME' PULUMI_BACKEND_URL='$PULUMI_BACKEND_URL' PULUMI_CONFIG_PASSPHRASE='$PULUMI_CONFIG_PASSPHRASE'
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_IGNORE_AMBIENT_PLUGINS=true PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
export PATH='$PATH'
cd '$WORK'
ENV
  trap - EXIT

  local jwt login policies
  jwt=$(kubectl create token default -n demo-dev --audience vault)
  login=$(curl -fsS -X POST "$VAULT_ADDR/v1/auth/kubernetes/login" -d "$(jq -cn --arg jwt "$jwt" '{role:"demo-dev-default",jwt:$jwt}')")
  policies=$(jq -r '.auth.policies | join(", ")' <<<"$login")
  local client; client=$(jq -r .auth.client_token <<<"$login")
  local reg_read; reg_read=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $client" "$VAULT_ADDR/v1/secret/data/demo/platform/stacks/demo/registry")
  local prod_read; prod_read=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $client" "$VAULT_ADDR/v1/secret/data/demo/api-gateway/prod/config")

  cat <<SUMMARY

== the demo platform is up (pulumi up took ${up_s}s)

Namespaces (one per environment):
$(kubectl get namespaces -l app.kubernetes.io/managed-by=gitops-platform -L gitops-platform/environment | sed 's/^/  /')

regsecret, synced by the Vault Secrets Operator from Vault (secret/demo/platform/stacks/demo/registry):
$(kubectl get secrets -A --field-selector metadata.name=regsecret | sed 's/^/  /')

A real ServiceAccount login: demo-dev/default (TokenRequest, audience vault) → role demo-dev-default
  policies: $policies
  read the registry path: HTTP $reg_read; read prod's api-gateway secrets: HTTP $prod_read (denied)

Applications generated by the ApplicationSet controller (RollingSync: one step per sync wave):
$(kubectl get applications.argoproj.io -n argocd -L gitops-platform/sync-wave | sed 's/^/  /')

Next:
  eval "\$(npm run -s demo:env)"     # this shell now talks to the demo (kubectl, pulumi, VAULT_ADDR)
  pulumi preview --stack demo        # nothing to change
  node --import tsx '$ROOT/ops/drift.ts' --stack demo   # the read-only drift check (same shell)
  kubectl get vaultstaticsecrets,vaultauths -A
  npm run demo:down                  # stop everything and remove the demo's state
SUMMARY
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  env) [[ -f "$DEMO/env.sh" ]] || { echo "demo: not running (npm run demo)" >&2; exit 1; }; cat "$DEMO/env.sh" ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
