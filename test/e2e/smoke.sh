#!/usr/bin/env bash
# End-to-end smoke test: the real program against real servers, fully offline.
#   1. builds the toolchain if the cache is cold (scripts/e2e/toolchain.sh)
#   2. starts etcd + kube-apiserver + kube-controller-manager + OpenBao dev (scripts/e2e/cluster.sh)
#   3. offline Pulumi (scripts/e2e/pulumi-env.sh), a throw-away project dir that links to this
#      checkout's Pulumi.yaml, stacks/, components/, node_modules/ (nothing is written to the clone)
#   4. pulumi up; checks what users rely on (namespaces, Vault policies/roles, registry secret in KV,
#      a ServiceAccount token really logs in to its environment's role and reads the registry path)
#   5. pulumi preview --expect-no-changes; pulumi refresh --expect-no-changes (drift check);
#      pulumi destroy; everything stopped and removed
# Prints "N passed, N failed" at the end. Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T0=$SECONDS
PASS=0 FAIL=0
step() { printf '\n[smoke +%ss] %s\n' "$(( SECONDS - T0 ))" "$*" >&2; }
ok() { PASS=$((PASS + 1)); printf '[smoke] ok - %s\n' "$*" >&2; }
bad() { FAIL=$((FAIL + 1)); printf '[smoke] FAIL - %s\n' "$*" >&2; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }

[[ -d "$ROOT/node_modules/@pulumi/pulumi" ]] || { echo "smoke: run npm ci first (no node_modules)" >&2; exit 1; }
[[ -f "$ROOT/stacks/index.ts" ]] || { echo "smoke: stacks/index.ts missing" >&2; exit 1; }
# Without the operators' CRDs the API server rejects the program's custom resources. The fixture
# folder lives beside the clone (shared/); when it is absent the test is skipped, saying why.
CRDS="${GITOPS_PLATFORM_CRDS:-$ROOT/../shared/fixtures/crds}"
case "$CRDS" in /*) ;; *) CRDS="$ROOT/$CRDS" ;; esac
if ! compgen -G "$CRDS/*.yaml" >/dev/null; then
  echo "[smoke] SKIP - no CRD fixtures at $CRDS (set GITOPS_PLATFORM_CRDS)" >&2
  echo "smoke: 0 passed, 0 failed, 1 skipped"
  exit 0
fi
export GITOPS_PLATFORM_CRDS="$CRDS"

step "toolchain"
E2E_BIN=$(bash "$ROOT/scripts/e2e/toolchain.sh" | tail -n 1)
export E2E_BIN

CLUSTER_DIR="" WORK=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$WORK" && -d "$WORK" && $rc -ne 0 && -n "${PULUMI_HOME:-}" ]]; then
    step "cleanup after failure: pulumi destroy"
    (cd "$WORK" && pulumi destroy --yes --non-interactive --stack "$STACK" >/dev/null 2>&1)
  fi
  [[ -n "$CLUSTER_DIR" ]] && bash "$ROOT/scripts/e2e/cluster.sh" stop "$CLUSTER_DIR"
  declare -F e2e_pulumi_cleanup >/dev/null && e2e_pulumi_cleanup
  [[ -n "$WORK" ]] && rm -rf "$WORK"
  printf '[smoke] wall time %ss\n' "$(( SECONDS - T0 ))" >&2
  if (( rc != 0 && FAIL == 0 )); then FAIL=1; echo "[smoke] FAIL - aborted (exit $rc) before the checks finished" >&2; fi
  echo "smoke: $PASS passed, $FAIL failed"
  exit "$rc"
}
trap cleanup EXIT

step "cluster"
eval "$(bash "$ROOT/scripts/e2e/cluster.sh" start)"
CLUSTER_DIR=$E2E_CLUSTER_DIR

# Helm installs are disabled in this stack, so the operators are "installed out of band": their
# CRDs come from the fixtures (cluster.sh) and their namespaces are created here, as they would be
# by the operators' own installation.
kubectl create namespace argocd >/dev/null
kubectl create namespace vault-secrets-operator-system >/dev/null

step "pulumi env"
# shellcheck source=../../scripts/e2e/pulumi-env.sh
. "$ROOT/scripts/e2e/pulumi-env.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gitops-e2e-project.XXXXXX")
# The kubernetes provider writes a temp kubeconfig per process start and never removes it: keep
# every temp file of this run inside WORK.
mkdir "$WORK/tmp"
export TMPDIR="$WORK/tmp"
cp "$ROOT/Pulumi.yaml" "$WORK/"
for f in stacks components node_modules package.json tsconfig.json; do
  [[ -e "$ROOT/$f" ]] && ln -s "$ROOT/$f" "$WORK/$f"
done
cd "$WORK"

STACK=e2e
PREFIX=e2e
pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
cfg() { pulumi config set --stack "$STACK" "$@" >/dev/null; }
cfg kubernetes:kubeconfig "$KUBECONFIG"
cfg vault:address "$VAULT_ADDR"
cfg --secret vault:token "$VAULT_TOKEN"
cfg gitops-platform:namespacePrefix "$PREFIX"
cfg gitops-platform:environments '{"dev":{"serviceAccounts":["default"]},"staging":{}}'
cfg gitops-platform:services '[{"name":"api-gateway"}]'
cfg gitops-platform:gitlab '{"host":"gitlab.example.com","group":"e2e-group"}'
cfg --path gitops-platform:registry.server registry.example.com
cfg --path gitops-platform:registry.username e2e-user
cfg --path --secret gitops-platform:registry.password e2e-registry-password
cfg --secret gitops-platform:argocdRepoToken e2e-repo-token
cfg gitops-platform:argocd '{"enabled":false,"repoUsername":"e2e"}'
cfg gitops-platform:vso '{"enabled":false}'
cfg gitops-platform:imageUpdater '{"enabled":false}'
cfg gitops-platform:cloudflare '{"enabled":false}'
# OpenBao dev already mounts KV v2 at secret/; OpenBao reaches the API server on loopback.
cfg gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:"e2e",kubernetesHost:$host,kubernetesCaCert:$ca}')"

step "pulumi up"
if pulumi up --yes --non-interactive --skip-preview --stack "$STACK" >"$WORK/up.log" 2>&1; then
  ok "pulumi up succeeded"; tail -n 15 "$WORK/up.log" >&2
else
  bad "pulumi up"; tail -n 60 "$WORK/up.log" >&2
fi

step "checks"
OUT=$(pulumi stack output --json --stack "$STACK" 2>/dev/null || echo '{}')
printf '%s\n' "$OUT" >&2
for env in dev staging; do
  check "namespace $PREFIX-$env exists" kubectl get namespace "$PREFIX-$env"
done
vget() { curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/$1"; }
check "registry credentials stored in KV v2 at secret/e2e/platform/registry" \
  bash -c "$(declare -f vget); vget secret/data/e2e/platform/registry | jq -e '.data.data | length > 0'"
check "kubernetes auth mount enabled" bash -c "$(declare -f vget); vget sys/auth | jq -e '.data[\"kubernetes/\"]'"
ROLE=$(printf '%s' "$OUT" | jq -r '.vaultAccess.dev.role // empty')
ROLE=${ROLE:-$PREFIX-dev-default}
check "vault role $ROLE exists" bash -c "$(declare -f vget); vget auth/kubernetes/role/$ROLE"
check "VaultAuth / VaultStaticSecret created in $PREFIX-dev" \
  bash -c "kubectl get vaultauths.secrets.hashicorp.com,vaultstaticsecrets.secrets.hashicorp.com -n $PREFIX-dev -o name | grep -q ."
# The real thing: a ServiceAccount token of the environment logs in to its role (TokenReview by
# the apiserver through the reviewer ServiceAccount) and may read the registry credentials.
JWT=$(kubectl create token default -n "$PREFIX-dev" --audience vault 2>/dev/null || true)
LOGIN=$(curl -fsS -X POST "$VAULT_ADDR/v1/auth/kubernetes/login" \
  -d "$(jq -cn --arg role "$ROLE" --arg jwt "$JWT" '{role:$role,jwt:$jwt}')" 2>&1 || true)
SA_TOKEN=$(printf '%s' "$LOGIN" | jq -r '.auth.client_token // empty' 2>/dev/null || true)
if [[ -n "$SA_TOKEN" ]]; then ok "ServiceAccount default in $PREFIX-dev logs in to role $ROLE"; else bad "ServiceAccount login to $ROLE: $LOGIN"; fi
check "that token reads the registry credentials" \
  curl -fsS -H "X-Vault-Token: $SA_TOKEN" "$VAULT_ADDR/v1/secret/data/e2e/platform/registry"

step "pulumi preview --expect-no-changes"
if pulumi preview --expect-no-changes --diff --non-interactive --stack "$STACK" >"$WORK/preview.log" 2>&1; then
  ok "second run changes nothing"; tail -n 8 "$WORK/preview.log" >&2
else
  bad "preview --expect-no-changes"; tail -n 60 "$WORK/preview.log" >&2
fi

step "pulumi refresh --expect-no-changes (the scheduled drift check)"
if pulumi refresh --yes --expect-no-changes --diff --non-interactive --skip-preview --stack "$STACK" >"$WORK/refresh.log" 2>&1; then
  ok "refresh finds no drift"; tail -n 8 "$WORK/refresh.log" >&2
else
  bad "refresh --expect-no-changes"; tail -n 80 "$WORK/refresh.log" >&2
fi

step "pulumi destroy"
if pulumi destroy --yes --non-interactive --skip-preview --stack "$STACK" >"$WORK/destroy.log" 2>&1; then
  ok "pulumi destroy succeeded"; tail -n 8 "$WORK/destroy.log" >&2
else
  bad "pulumi destroy"; tail -n 60 "$WORK/destroy.log" >&2
fi
check "namespace $PREFIX-dev gone" bash -c "! kubectl get namespace $PREFIX-dev 2>/dev/null | grep -q Active"
check "registry secret gone from KV" bash -c "! curl -fsS -H 'X-Vault-Token: $VAULT_TOKEN' $VAULT_ADDR/v1/secret/data/e2e/platform/registry"
pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || true

(( FAIL == 0 ))
