#!/usr/bin/env bash
# End-to-end: taking over a platform the seed's shell scripts built, and creating a stack twice
# (issue 8, point 5). Real OpenBao (dev mode: it pre-mounts KV v2 at secret/) and kube-apiserver.
#   (a) a stack that manages the KV mount: `up` adopts secret/ (imported, description kept),
#       `destroy` keeps it (retainOnDelete) and its data, `up` again adopts it again
#   (b) what setup-infrastructure.sh / setup-vault-secrets.sh / setup-registry-secret.sh leave: a
#       service secret and the shared registry secret in KV, auth/kubernetes enabled and configured,
#       policy poc-dev-read and role poc-dev-default with the seed's text, namespace poc-dev,
#       `regsecret` from `kubectl create secret docker-registry`, the `default` ServiceAccount patched.
#       `up` succeeds, replaces and deletes nothing in Vault, every secret is still there, a real
#       login works, and the next preview is clean.
#   (c) a KV version 1 engine at the KV path is refused before anything is created, naming the key.
# Prints "takeover: N passed, N failed". Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=takeover
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start

PREFIX=gitops-poc-dzha
STACK=dev
E2E_STACKS=("$STACK")
pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
stack_cfg "$STACK" kubernetes:kubeconfig "$KUBECONFIG"
stack_cfg "$STACK" vault:address "$VAULT_ADDR"
stack_cfg "$STACK" --secret vault:token "$VAULT_TOKEN"
stack_cfg "$STACK" gitops-platform:namespacePrefix poc
stack_cfg "$STACK" gitops-platform:environments '{"dev":{}}'
stack_cfg "$STACK" gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" --arg prefix "$PREFIX" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:"takeover",expiresInDays:30,rotateBeforeDays:7}}')"
stack_cfg "$STACK" --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
stack_cfg "$STACK" gitops-platform:argocd '{"enabled":false}'
stack_cfg "$STACK" gitops-platform:vso '{"enabled":false,"waitForSync":false}'
stack_cfg "$STACK" gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" --arg prefix "$PREFIX" \
  '{kvMount:"secret",manageKvMount:true,pathPrefix:$prefix,kubernetesHost:$host,kubernetesCaCert:$ca}')"

mount_desc() { vget sys/mounts | jq -r '.data["secret/"].description'; }
kv_has() { vget "secret/data/$1" | jq -e --arg k "$2" --arg v "$3" '.data.data[$k] == $v'; }
no_vault_replace_or_delete() { # log: no Vault resource replaced or deleted
  ! grep -E '(vault:|OwnedKvSecret).*(replace|delete|deleting|replacing)' "$WORK/$1"
}
up_ok() { # log-name
  if run_pulumi "$1" up --yes --skip-preview --stack "$STACK"; then ok "pulumi up ($1)"
  else bad "pulumi up ($1)"; tail -n 40 "$WORK/$1" >&2; return 1; fi
}
preview_clean() { # log-name
  if run_pulumi "$1" preview --expect-no-changes --diff --stack "$STACK"; then ok "the next preview is clean ($1)"
  else bad "preview --expect-no-changes ($1)"; tail -n 40 "$WORK/$1" >&2; fi
}

step "(a) a stack that manages the KV mount, on a server that already has it"
DESC_BEFORE=$(mount_desc)
vcurl -X POST -d '{"data":{"API_KEY":"kept-1"}}' "$VAULT_ADDR/v1/secret/data/$PREFIX/api-gateway/dev/config" >/dev/null
up_ok up-a1.log || true
check "the mount was adopted as it is (description unchanged)" test "$(mount_desc)" = "$DESC_BEFORE"
check "the service secret is still there" kv_has "$PREFIX/api-gateway/dev/config" API_KEY kept-1
preview_clean preview-a1.log
if run_pulumi destroy-a.log destroy --yes --skip-preview --stack "$STACK"; then ok "pulumi destroy"
else bad "pulumi destroy"; tail -n 40 "$WORK/destroy-a.log" >&2; fi
check "destroy kept the KV mount" bash -c "curl -fsS -H 'X-Vault-Token: $VAULT_TOKEN' $VAULT_ADDR/v1/sys/mounts | jq -e '.data[\"secret/\"].type == \"kv\"'"
check "destroy kept the service secret" kv_has "$PREFIX/api-gateway/dev/config" API_KEY kept-1
up_ok up-a2.log || true
preview_clean preview-a2.log
run_pulumi destroy-a2.log destroy --yes --skip-preview --stack "$STACK" || { bad "second destroy"; tail -n 40 "$WORK/destroy-a2.log" >&2; }

step "(b) the seed scripts' platform, made by hand"
# the namespace of (a) may still be terminating
for _ in $(seq 1 150); do kubectl get namespace poc-dev >/dev/null 2>&1 || break; sleep 0.4; done
# setup-infrastructure.sh: Kubernetes auth with its config (reviewer: the admin token here)
vcurl -X POST -d '{"type":"kubernetes"}' "$VAULT_ADDR/v1/sys/auth/kubernetes" >/dev/null
vcurl -X POST -d "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" --arg jwt "$E2E_KUBE_TOKEN" \
  '{kubernetes_host:$host,kubernetes_ca_cert:$ca,token_reviewer_jwt:$jwt,disable_iss_validation:true}')" \
  "$VAULT_ADDR/v1/auth/kubernetes/config" >/dev/null
# the shared registry secret, a service secret
vcurl -X POST -d '{"data":{".dockerconfigjson":"{\"auths\":{\"registry.gitlab.com\":{\"auth\":\"c2VlZDpzZWVk\"}}}"}}' \
  "$VAULT_ADDR/v1/secret/data/$PREFIX/platform/registry" >/dev/null
vcurl -X POST -d '{"data":{"API_KEY":"kept-2"}}' "$VAULT_ADDR/v1/secret/data/$PREFIX/api-gateway/dev/config" >/dev/null
# setup-vault-secrets.sh: the seed's policy and role
SEED_POLICY=$(printf 'path "secret/data/%s/+/dev/+" {\n  capabilities = ["read"]\n}\npath "secret/metadata/%s/+/dev/+" {\n  capabilities = ["read", "list"]\n}\n' "$PREFIX" "$PREFIX")
vcurl -X PUT -d "$(jq -cn --arg p "$SEED_POLICY" '{policy:$p}')" "$VAULT_ADDR/v1/sys/policies/acl/poc-dev-read" >/dev/null
vcurl -X POST -d '{"bound_service_account_names":["default"],"bound_service_account_namespaces":["poc-dev"],"policies":["poc-dev-read"],"audience":"vault","ttl":"1h"}' \
  "$VAULT_ADDR/v1/auth/kubernetes/role/poc-dev-default" >/dev/null
# setup-registry-secret.sh: namespace, regsecret, default ServiceAccount patched
kubectl create namespace poc-dev >/dev/null
for _ in $(seq 1 50); do kubectl get sa default -n poc-dev >/dev/null 2>&1 && break; sleep 0.2; done
kubectl create secret docker-registry regsecret -n poc-dev --docker-server=registry.gitlab.com \
  --docker-username=seed --docker-password=seed-password >/dev/null
kubectl patch serviceaccount default -n poc-dev -p '{"imagePullSecrets":[{"name":"regsecret"}]}' >/dev/null
AUTH_ACCESSOR=$(vget sys/auth | jq -r '.data["kubernetes/"].accessor')

up_ok up-b.log || true
check "no Vault object was replaced or deleted" no_vault_replace_or_delete up-b.log
check "auth/kubernetes is the same auth method (accessor $AUTH_ACCESSOR)" \
  bash -c "curl -fsS -H 'X-Vault-Token: $VAULT_TOKEN' $VAULT_ADDR/v1/sys/auth | jq -e '.data[\"kubernetes/\"].accessor == \"$AUTH_ACCESSOR\"'"
check "the seed's shared registry secret is untouched" kv_has "$PREFIX/platform/registry" .dockerconfigjson \
  '{"auths":{"registry.gitlab.com":{"auth":"c2VlZDpzZWVk"}}}'
check "the service secret is still there" kv_has "$PREFIX/api-gateway/dev/config" API_KEY kept-2
check "the stack's own registry secret was written" vget "secret/data/$PREFIX/platform/stacks/$STACK/registry"
check "the ServiceAccount still carries regsecret" \
  bash -c "kubectl get sa default -n poc-dev -o json | jq -e '[.imagePullSecrets[]?.name] | index(\"regsecret\") != null'"
login_reads_service_secret() {
  local t; t=$(sa_login poc-dev default poc-dev-default) || return 1
  curl -fsS -H "X-Vault-Token: $t" "$VAULT_ADDR/v1/secret/data/$PREFIX/api-gateway/dev/config" >/dev/null
}
check "real login of poc-dev/default reads the service secret" login_reads_service_secret
preview_clean preview-b.log

step "(d) ServiceAccounts that other managers own, or that do not exist"
# a chart's ServiceAccount: imagePullSecrets [other-creds] applied server-side by field manager helm
kubectl apply --server-side --field-manager=helm -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: poc-dev}
imagePullSecrets: [{name: other-creds}]
YAML
stack_cfg "$STACK" gitops-platform:environments '{"dev":{"serviceAccounts":["app","ghost"]}}'
if run_pulumi preview-d.log preview --diff --stack "$STACK" && grep -q 'ServiceAccount poc-dev/ghost .*does not exist' "$WORK/preview-d.log" \
   && grep -q 'ServiceAccount poc-dev/app .*owned by helm' "$WORK/preview-d.log"; then
  ok "the preview warns: ghost does not exist (not created), app's list is owned by helm"
else
  bad "preview warnings for ServiceAccounts"; tail -n 40 "$WORK/preview-d.log" >&2
fi
up_ok up-d.log || true
pull_secrets() { kubectl get sa "$1" -n poc-dev -o json | jq -c '[.imagePullSecrets[]?.name]'; }
check "app ends with both entries: other-creds and regsecret" test "$(pull_secrets app)" = '["other-creds","regsecret"]'
check "ghost was not created" bash -c "! kubectl get sa ghost -n poc-dev"
check "default still carries regsecret" test "$(pull_secrets default)" = '["regsecret"]'
preview_clean preview-d2.log
stack_cfg "$STACK" gitops-platform:environments '{"dev":{}}'
up_ok up-d3.log || true
check "after the stack stops managing app, app keeps other-creds (regsecret removed)" test "$(pull_secrets app)" = '["other-creds"]'
check "default keeps regsecret (put there by the seed's kubectl patch, not by this stack)" test "$(pull_secrets default)" = '["regsecret"]'

step "(c) a KV version 1 engine at the KV path is refused"
vcurl -X POST -d '{"type":"kv","options":{"version":"1"}}' "$VAULT_ADDR/v1/sys/mounts/kv1" >/dev/null
stack_cfg "$STACK" --path gitops-platform:vault.kvMount kv1
if run_pulumi preview-c.log preview --stack "$STACK"; then
  bad "preview with a KV v1 engine at vault.kvMount succeeded"
elif grep -q 'gitops-platform:vault.kvMount: Vault already has a "kv" version 1 engine at kv1/' "$WORK/preview-c.log"; then
  ok "preview stops, naming gitops-platform:vault.kvMount"
else
  bad "KV v1 refusal: unexpected output"; tail -n 30 "$WORK/preview-c.log" >&2
fi
stack_cfg "$STACK" --path gitops-platform:vault.kvMount secret

step "destroy"
if run_pulumi destroy-b.log destroy --yes --skip-preview --stack "$STACK"; then ok "pulumi destroy"
else bad "pulumi destroy"; tail -n 40 "$WORK/destroy-b.log" >&2; fi
check "the service secret survives destroy" kv_has "$PREFIX/api-gateway/dev/config" API_KEY kept-2
pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || true

(( FAIL == 0 ))
