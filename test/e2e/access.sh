#!/usr/bin/env bash
# End-to-end: other operators' Vault access (vault.writers) and per-service least privilege
# (environments.<env>.perService) against ONE real OpenBao and ONE real kube-apiserver, every
# access decided by OpenBao after a REAL login (TokenRequest for the ServiceAccount, audience vault,
# then POST auth/<mount>/login). Fully offline.
#   1. a writer prefix that overlaps the platform's paths stops the preview, naming the key
#   2. two stacks on the same Vault and path prefix: `dev` (environments dev with perService, and
#      staging without; services alpha and beta; writer vault-sync-operator under k8s-sync/dev) and
#      `other` (environment prod; the same writer name under k8s-sync/other; its own auth mount)
#   3. `up` both: per-stack writer roles and policies side by side; per-service ServiceAccounts,
#      VaultAuths, roles and policies; `dev`'s environment role without the all-services policy
#   4. the writer, logged in as the seed's ServiceAccount: creates, updates, lists and deletes under
#      its prefix (at any depth, the results checked with the root token); denied everywhere else:
#      both stacks' registry secrets, the service secrets, the other stack's writer prefix, a
#      sibling prefix, the prefix itself, reading back, Vault's own paths; another ServiceAccount
#      cannot log in to its role
#   5. service alpha reads <prefix>/alpha/dev/…, is denied beta's dev secrets, its own staging and
#      prod secrets and the registry secret, and cannot write; beta the other way round; `default`
#      of the perService namespace reads the registry secret only; staging (no perService) reads
#      every service's staging secrets as before; a ServiceAccount cannot log in to another's role
#   6. prints the access matrix; `preview --expect-no-changes` with the policy pack (the writer's
#      and the services' policies pass vault-policy-least-privilege)
#   7. `destroy` both: roles, policies, ServiceAccounts and VaultAuths gone; the writer's secrets
#      (not the stack's) left alone
# Prints "access: N passed, N failed" at the end. Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=access
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start

PREFIX=acc                       # vault.pathPrefix of both stacks (the shared GitLab group's place)
E2E_STACKS=(dev other)
WRITER=vault-sync-operator WRITER_NS=vault-sync-operator-system WRITER_SA=vault-sync-operator-controller-manager
for s in dev other; do
  pulumi stack init "$s" --secrets-provider passphrase --non-interactive >/dev/null
  stack_cfg "$s" kubernetes:kubeconfig "$KUBECONFIG"
  stack_cfg "$s" vault:address "$VAULT_ADDR"
  stack_cfg "$s" --secret vault:token "$VAULT_TOKEN"
  stack_cfg "$s" gitops-platform:services '[{"name":"alpha"},{"name":"beta"}]'
  stack_cfg "$s" gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" --arg name "acc-$s" \
    '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:$name,expiresInDays:30,rotateBeforeDays:7}}')"
  stack_cfg "$s" --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
  stack_cfg "$s" gitops-platform:protect false
done
# No operator runs in this cluster: nothing syncs regsecret, so `up` must not wait for it.
stack_cfg dev gitops-platform:argocd '{"enabled":false}'
stack_cfg dev gitops-platform:vso '{"enabled":false,"waitForSync":false}'
kubectl create namespace argocd-other >/dev/null
kubectl create namespace vso-other >/dev/null
stack_cfg other gitops-platform:argocd '{"enabled":false,"namespace":"argocd-other"}'
stack_cfg other gitops-platform:vso '{"enabled":false,"namespace":"vso-other","waitForSync":false}'
stack_cfg dev gitops-platform:namespacePrefix acc
stack_cfg other gitops-platform:namespacePrefix oth
stack_cfg dev gitops-platform:environments '{"dev":{"perService":true},"staging":{}}'
stack_cfg other gitops-platform:environments '{"prod":{}}'
vault_cfg() { # auth mount, writers (JSON list)
  jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" --arg auth "$1" --arg prefix "$PREFIX" --argjson writers "$2" \
    '{kvMount:"secret",manageKvMount:false,pathPrefix:$prefix,kubernetesAuthMount:$auth,kubernetesHost:$host,kubernetesCaCert:$ca,writers:$writers}'
}
writer_of() { jq -cn --arg name "$WRITER" --arg ns "$WRITER_NS" --arg sa "$WRITER_SA" --arg p "$1" '[{name:$name,namespace:$ns,serviceAccount:$sa,prefix:$p}]'; }
stack_cfg dev gitops-platform:vault "$(vault_cfg kubernetes "$(writer_of k8s-sync/dev)")"
stack_cfg other gitops-platform:vault "$(vault_cfg kubernetes-other "$(writer_of k8s-sync/other)")"
# The operator's ServiceAccount exists where its own installation puts it (the stack never creates it).
kubectl create namespace "$WRITER_NS" >/dev/null
kubectl create serviceaccount "$WRITER_SA" -n "$WRITER_NS" >/dev/null
kubectl create serviceaccount intruder -n "$WRITER_NS" >/dev/null

# The object does not exist, as the API server says (not merely unreachable): kubectl get ARGS
not_found() { local out; out=$(kubectl get "$@" 2>&1) && return 1; [[ $out == *"(NotFound)"* ]]; }
# HTTP status of one Vault call with a token: token method path [JSON body]
status() {
  local args=(-s -o /dev/null -w '%{http_code}' -X "$2" -H "X-Vault-Token: $1")
  if [[ $# -ge 4 ]]; then args+=(-d "$4"); fi
  curl "${args[@]}" "$VAULT_ADDR/v1/$3"
}
# The access matrix: "who|path" → what OpenBao allowed (R read, C create, U update, D delete, L list)
# or denied (lowercase: tried and refused), filled by expect.
declare -A MATRIX=() ROWS_SEEN=() COLS_SEEN=()
ROWS=() COLS=()
mark() { # who column letter
  local k="$1|$2"
  [[ -n "${ROWS_SEEN[$1]:-}" ]] || { ROWS_SEEN[$1]=1; ROWS+=("$1"); }
  [[ -n "${COLS_SEEN[$2]:-}" ]] || { COLS_SEEN[$2]=1; COLS+=("$2"); }
  MATRIX[$k]="${MATRIX[$k]:-}$3"
}
# expect WHO TOKEN allow|deny LETTER COLUMN METHOD PATH [BODY]: OpenBao must allow (2xx, or 404:
# allowed but nothing there) or deny (403) the call; the matrix records it.
expect() {
  local who=$1 tok=$2 want=$3 letter=$4 col=$5 m=$6 p=$7 got verdict
  shift 7
  got=$(status "$tok" "$m" "$p" "$@")
  case $got in 2??|404) verdict=allow ;; 403) verdict=deny ;; *) verdict="http $got" ;; esac
  if [[ $verdict == allow ]]; then mark "$who" "$col" "$letter"; else mark "$who" "$col" "$(tr '[:upper:]' '[:lower:]' <<<"$letter")"; fi
  if [[ $verdict == "$want" ]]; then ok "$who: $m $p → $got ($want)"; else bad "$who: $m $p → $got, want $want"; fi
}
login_or_fail() { # label namespace sa role mount → token in LOGIN
  LOGIN=$(sa_login "$2" "$3" "$4" "$5") && [[ -n $LOGIN ]] && { ok "$1: real login of $2/$3 to $5 role $4"; return 0; }
  bad "$1: login of $2/$3 to $5 role $4 failed"; LOGIN=invalid; return 0
}
login_denied() { # label namespace sa role mount
  if sa_login "$2" "$3" "$4" "$5" >/dev/null 2>&1; then bad "$1: $2/$3 logged in to $5 role $4"; else ok "$1: $2/$3 cannot log in to $5 role $4"; fi
}
kv_put_root() { vcurl -X POST -d "$(jq -cn --arg v "$2" '{data:{value:$v}}')" "$VAULT_ADDR/v1/secret/data/$1" >/dev/null; }

step "a writer prefix that overlaps the platform's paths stops the preview, naming the key"
stack_cfg other gitops-platform:vault "$(vault_cfg kubernetes-other "$(writer_of "$PREFIX/platform")")"
if run_pulumi preview-overlap.log preview --stack other; then
  bad "preview with a writer prefix under $PREFIX/platform succeeded"
elif grep -q "gitops-platform:vault.writers\[0\].prefix: \"$PREFIX/platform\" overlaps the platform's own paths under vault.pathPrefix \"$PREFIX\"" "$WORK/preview-overlap.log" \
  && grep -q "nothing was created" "$WORK/preview-overlap.log"; then
  ok "preview stops: gitops-platform:vault.writers[0].prefix overlaps vault.pathPrefix, nothing was created"
else
  bad "writer prefix overlap: unexpected output"; tail -n 30 "$WORK/preview-overlap.log" >&2
fi
stack_cfg other gitops-platform:vault "$(vault_cfg kubernetes-other "$(writer_of k8s-sync/other)")"

step "up dev, up other"
for s in dev other; do
  if run_pulumi "up-$s.log" up --yes --skip-preview --stack "$s"; then ok "pulumi up --stack $s"
  else bad "pulumi up --stack $s"; tail -n 60 "$WORK/up-$s.log" >&2; fi
done

step "what the stacks made: per-stack writer roles and policies, per-service identities"
policy_rules() { vget "sys/policy/$1" | jq -r .data.rules; }
role_json() { vget "auth/$1/role/$2" | jq -c .data; }
writer_policy_is() { # stack prefix: the exact rules
  [[ $(policy_rules "$WRITER-write-$1") == "$(printf '%s\n' \
    "# gitops-platform: writer \"$WRITER\" manages secrets under secret/$2/ only." \
    "path \"secret/data/$2/*\" {" '  capabilities = ["create", "update", "delete"]' '}' '' \
    "path \"secret/metadata/$2/*\" {" '  capabilities = ["delete", "list"]' '}')" ]]
}
writer_role_is() { # mount stack
  role_json "$1" "$WRITER-$2" | jq -e --arg sa "$WRITER_SA" --arg ns "$WRITER_NS" --arg p "$WRITER-write-$2" \
    '.bound_service_account_names == [$sa] and .bound_service_account_namespaces == [$ns] and .audience == "vault" and .token_policies == [$p] and .token_ttl == 3600'
}
check "dev: policy $WRITER-write-dev grants exactly create/update/delete and delete/list under secret/k8s-sync/dev/" writer_policy_is dev k8s-sync/dev
check "other: policy $WRITER-write-other, side by side, under secret/k8s-sync/other/" writer_policy_is other k8s-sync/other
check "dev: role $WRITER-dev at kubernetes bound to $WRITER_NS/$WRITER_SA, audience vault, 1h" writer_role_is kubernetes dev
check "other: role $WRITER-other at kubernetes-other, same binding" writer_role_is kubernetes-other other
service_role_is() { # service
  role_json kubernetes "acc-dev-$1" | jq -e --arg s "$1" \
    '.bound_service_account_names == [$s] and .bound_service_account_namespaces == ["acc-dev"] and .audience == "vault" and .token_policies == ["acc-dev-" + $s + "-read"]'
}
service_policy_is() { # service
  [[ $(policy_rules "acc-dev-$1-read") == "$(printf '%s\n' \
    "# gitops-platform: read access to the secrets of service \"$1\" in environment \"dev\" only." \
    "# '+' matches exactly one path segment: <secret name>." \
    "path \"secret/data/$PREFIX/$1/dev/+\" {" '  capabilities = ["read"]' '}' '' \
    "path \"secret/metadata/$PREFIX/$1/dev/+\" {" '  capabilities = ["read", "list"]' '}')" ]]
}
sa_has_regsecret() { kubectl get sa "$1" -n acc-dev -o json | jq -e '.imagePullSecrets == [{"name":"regsecret"}] and .metadata.labels["gitops-platform/stack"] == "dev"'; }
vault_auth_is() { # service
  kubectl get vaultauth "vault-auth-$1" -n acc-dev -o json | jq -e --arg s "$1" \
    '.spec.method == "kubernetes" and .spec.mount == "kubernetes" and .spec.kubernetes.role == ("acc-dev-" + $s)
     and .spec.kubernetes.serviceAccount == $s and .spec.kubernetes.audiences == ["vault"]'
}
for svc in alpha beta; do
  check "dev: role acc-dev-$svc bound to acc-dev/$svc only, policy acc-dev-$svc-read" service_role_is "$svc"
  check "dev: policy acc-dev-$svc-read reads secret/data/$PREFIX/$svc/dev/+ only (exact text)" service_policy_is "$svc"
  check "dev: ServiceAccount acc-dev/$svc with regsecret, labelled for the stack" sa_has_regsecret "$svc"
  check "dev: VaultAuth acc-dev/vault-auth-$svc logs in as $svc to acc-dev-$svc (accepted by the CRD)" vault_auth_is "$svc"
done
no_policy() { [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/sys/policy/$1") == 404 ]]; }
check "dev (perService): no policy acc-dev-read" no_policy acc-dev-read
check "dev (perService): role acc-dev-default carries registry-read-dev only" \
  eval "role_json kubernetes acc-dev-default | jq -e '.token_policies == [\"registry-read-dev\"]'"
check "staging (no perService): role acc-staging-default still carries acc-staging-read" \
  eval "role_json kubernetes acc-staging-default | jq -e '.token_policies == [\"acc-staging-read\", \"registry-read-dev\"]'"
check "no ServiceAccount of a service in acc-staging" not_found sa alpha -n acc-staging

step "secrets to read (written with the root token, as a team would)"
for p in alpha/dev beta/dev alpha/staging beta/staging alpha/prod; do kv_put_root "$PREFIX/$p/config" "value-of-$p"; done
# another stack's writer wrote this (checked: dev's writer must not touch it)
kv_put_root k8s-sync/other/ns1/app "other-stack-value"
REG_DEV="$PREFIX/platform/stacks/dev/registry" REG_OTHER="$PREFIX/platform/stacks/other/registry"

step "the writer, logged in as $WRITER_NS/$WRITER_SA"
login_or_fail "writer(dev)" "$WRITER_NS" "$WRITER_SA" "$WRITER-dev" kubernetes; W=$LOGIN
W_ROW="writer/dev"
expect "$W_ROW" "$W" allow C "k8s-sync/dev/..." POST secret/data/k8s-sync/dev/ns1/app '{"data":{"token":"v1"}}'
expect "$W_ROW" "$W" allow U "k8s-sync/dev/..." POST secret/data/k8s-sync/dev/ns1/app '{"data":{"token":"v2"}}'
expect "$W_ROW" "$W" allow C "k8s-sync/dev/..." POST secret/data/k8s-sync/dev/deep/er/path/x '{"data":{"a":"b"}}'
check "root sees version 2 with the writer's update" eval "vget secret/data/k8s-sync/dev/ns1/app | jq -e '.data.data.token == \"v2\" and .data.metadata.version == 2'"
expect "$W_ROW" "$W" allow L "k8s-sync/dev/..." LIST secret/metadata/k8s-sync/dev
check "the writer's list of its prefix names what it wrote" \
  eval "curl -fsS -X LIST -H 'X-Vault-Token: $W' '$VAULT_ADDR/v1/secret/metadata/k8s-sync/dev' | jq -e '.data.keys == [\"deep/\", \"ns1/\"]'"
expect "$W_ROW" "$W" allow L "k8s-sync/dev/..." LIST secret/metadata/k8s-sync/dev/ns1
expect "$W_ROW" "$W" deny R "k8s-sync/dev/..." GET secret/data/k8s-sync/dev/ns1/app
expect "$W_ROW" "$W" allow D "k8s-sync/dev/..." DELETE secret/data/k8s-sync/dev/ns1/app
check "root sees the latest version deleted (soft delete)" eval "vget secret/metadata/k8s-sync/dev/ns1/app | jq -e '.data.versions[\"2\"].deletion_time != \"\"'"
expect "$W_ROW" "$W" allow D "k8s-sync/dev/..." DELETE secret/metadata/k8s-sync/dev/deep/er/path/x
check "root sees every version and the metadata gone" \
  test "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/secret/metadata/k8s-sync/dev/deep/er/path/x")" = 404
for call in "C|registry (dev)|POST|secret/data/$REG_DEV" "R|registry (dev)|GET|secret/data/$REG_DEV" "D|registry (dev)|DELETE|secret/metadata/$REG_DEV" \
  "C|registry (other)|POST|secret/data/$REG_OTHER" "D|registry (other)|DELETE|secret/data/$REG_OTHER" \
  "C|$PREFIX/alpha/dev/...|POST|secret/data/$PREFIX/alpha/dev/config" "L|$PREFIX/...|LIST|secret/metadata/$PREFIX" \
  "C|k8s-sync/other/...|POST|secret/data/k8s-sync/other/ns1/app" "D|k8s-sync/other/...|DELETE|secret/data/k8s-sync/other/ns1/app" \
  "L|k8s-sync/other/...|LIST|secret/metadata/k8s-sync/other" "C|k8s-sync/devx/...|POST|secret/data/k8s-sync/devx/a" \
  "C|k8s-sync/dev (itself)|POST|secret/data/k8s-sync/dev" "L|k8s-sync/...|LIST|secret/metadata/k8s-sync" \
  "C|sys/policies|POST|sys/policies/acl/$WRITER-write-dev" "C|sys/mounts|POST|sys/mounts/evil"; do
  IFS='|' read -r letter col m p <<<"$call"
  if [[ $m == POST ]]; then expect "$W_ROW" "$W" deny "$letter" "$col" "$m" "$p" '{"data":{"x":"y"},"policy":"path \"*\" {capabilities=[\"sudo\"]}","type":"kv"}'
  else expect "$W_ROW" "$W" deny "$letter" "$col" "$m" "$p"; fi
done
check "the other stack's writer secret is untouched" eval "vget secret/data/k8s-sync/other/ns1/app | jq -e '.data.data.value == \"other-stack-value\"'"
login_denied "writer(dev)" "$WRITER_NS" intruder "$WRITER-dev" kubernetes
login_denied "writer(dev)" "$WRITER_NS" "$WRITER_SA" "$WRITER-other" kubernetes
login_or_fail "writer(other)" "$WRITER_NS" "$WRITER_SA" "$WRITER-other" kubernetes-other; WO=$LOGIN
WO_ROW="writer/other"
expect "$WO_ROW" "$WO" allow C "k8s-sync/other/..." POST secret/data/k8s-sync/other/ns2/app '{"data":{"a":"b"}}'
expect "$WO_ROW" "$WO" deny C "k8s-sync/dev/..." POST secret/data/k8s-sync/dev/ns1/app '{"data":{"a":"b"}}'
expect "$WO_ROW" "$WO" deny C "registry (dev)" POST "secret/data/$REG_DEV" '{"data":{"a":"b"}}'

step "services: real logins as their own ServiceAccounts"
login_or_fail "alpha" acc-dev alpha acc-dev-alpha kubernetes; A=$LOGIN
login_or_fail "beta" acc-dev beta acc-dev-beta kubernetes; B=$LOGIN
login_denied "alpha" acc-dev alpha acc-dev-beta kubernetes
login_denied "default" acc-dev default acc-dev-alpha kubernetes
login_denied "alpha" acc-dev alpha acc-dev-default kubernetes
login_or_fail "default(dev)" acc-dev default acc-dev-default kubernetes; D=$LOGIN
login_or_fail "default(staging)" acc-staging default acc-staging-default kubernetes; S=$LOGIN
for who in "alpha|$A" "beta|$B"; do
  IFS='|' read -r svc tok <<<"$who"; other=alpha; [[ $svc == alpha ]] && other=beta
  row="$svc/acc-dev"
  expect "$row" "$tok" allow R "$PREFIX/$svc/dev/..." GET "secret/data/$PREFIX/$svc/dev/config"
  expect "$row" "$tok" allow R "$PREFIX/$svc/dev/..." GET "secret/metadata/$PREFIX/$svc/dev/config"
  expect "$row" "$tok" deny C "$PREFIX/$svc/dev/..." POST "secret/data/$PREFIX/$svc/dev/config" '{"data":{"x":"y"}}'
  expect "$row" "$tok" deny R "$PREFIX/$other/dev/..." GET "secret/data/$PREFIX/$other/dev/config"
  expect "$row" "$tok" deny L "$PREFIX/$other/dev/..." LIST "secret/metadata/$PREFIX/$other/dev"
  expect "$row" "$tok" deny R "$PREFIX/$svc/staging/..." GET "secret/data/$PREFIX/$svc/staging/config"
  expect "$row" "$tok" deny R "$PREFIX/alpha/prod/..." GET "secret/data/$PREFIX/alpha/prod/config"
  expect "$row" "$tok" deny R "registry (dev)" GET "secret/data/$REG_DEV"
done
check "alpha reads its own value" eval "curl -fsS -H 'X-Vault-Token: $A' '$VAULT_ADDR/v1/secret/data/$PREFIX/alpha/dev/config' | jq -e '.data.data.value == \"value-of-alpha/dev\"'"
row="default/acc-dev"
expect "$row" "$D" allow R "registry (dev)" GET "secret/data/$REG_DEV"
expect "$row" "$D" deny R "$PREFIX/alpha/dev/..." GET "secret/data/$PREFIX/alpha/dev/config"
expect "$row" "$D" deny R "$PREFIX/beta/dev/..." GET "secret/data/$PREFIX/beta/dev/config"
row="default/acc-staging"
expect "$row" "$S" allow R "registry (dev)" GET "secret/data/$REG_DEV"
expect "$row" "$S" allow R "$PREFIX/alpha/staging/..." GET "secret/data/$PREFIX/alpha/staging/config"
expect "$row" "$S" allow R "$PREFIX/beta/staging/..." GET "secret/data/$PREFIX/beta/staging/config"
expect "$row" "$S" deny R "$PREFIX/alpha/dev/..." GET "secret/data/$PREFIX/alpha/dev/config"

step "access matrix: what OpenBao answered each identity's real token"
{
  echo "C create, U update, R read, D delete, L list: upper case allowed, lower case tried and denied (403)"
  echo "writer/<stack>: role $WRITER-<stack>; <service>/acc-dev: role acc-dev-<service>; default/<ns>: role <ns>-default"
  printf '%-22s' "path"
  for r in "${ROWS[@]}"; do printf ' | %-*s' "${#r}" "$r"; done; printf '\n'
  for c in "${COLS[@]}"; do
    printf '%-22s' "$c"
    for r in "${ROWS[@]}"; do k="$r|$c"; printf ' | %-*s' "${#r}" "${MATRIX[$k]:-}"; done; printf '\n'
  done
} | tee "$WORK/matrix.txt" >&2

step "a second run changes nothing; the policy pack passes the writer's and the services' policies"
if run_pulumi preview-pack.log preview --expect-no-changes --diff --stack dev --policy-pack "$ROOT/policy"; then
  ok "dev: preview --expect-no-changes --policy-pack policy passes"
else bad "dev: preview with the policy pack"; tail -n 40 "$WORK/preview-pack.log" >&2; fi
if run_pulumi preview-other.log preview --expect-no-changes --diff --stack other; then ok "other: a second run changes nothing"
else bad "other: preview --expect-no-changes"; tail -n 40 "$WORK/preview-other.log" >&2; fi

step "destroy both"
for s in dev other; do
  if run_pulumi "destroy-$s.log" destroy --yes --skip-preview --stack "$s"; then ok "pulumi destroy --stack $s"
  else bad "pulumi destroy --stack $s"; tail -n 40 "$WORK/destroy-$s.log" >&2; fi
done
E2E_STACKS=()
for p in "$WRITER-write-dev" "$WRITER-write-other" acc-dev-alpha-read acc-dev-beta-read registry-read-dev; do
  check "policy $p is gone" no_policy "$p"
done
no_role() { [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/auth/$1/role/$2") == 404 ]]; }
check "role $WRITER-dev is gone" no_role kubernetes "$WRITER-dev"
check "role acc-dev-alpha is gone" no_role kubernetes acc-dev-alpha
check "ServiceAccount acc-dev/alpha is gone (with its namespace)" not_found sa alpha -n acc-dev
check "VaultAuth acc-dev/vault-auth-alpha is gone" not_found vaultauth vault-auth-alpha -n acc-dev
check "the writer's own secrets are left to the writer" eval "vget secret/data/k8s-sync/dev/ns1/app >/dev/null || vget secret/metadata/k8s-sync/dev/ns1/app >/dev/null"
check "the operator's ServiceAccount (not the stack's) is left alone" kubectl get sa "$WRITER_SA" -n "$WRITER_NS"
for s in dev other; do pulumi stack rm --yes --force --stack "$s" >/dev/null 2>&1 || true; done

(( FAIL == 0 ))
