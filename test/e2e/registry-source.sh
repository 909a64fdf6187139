#!/usr/bin/env bash
# End-to-end for registry credentials that already live in Vault (registry.vault) with a mirror,
# and Image Updater's side of it (issue 11, parts 4 and 1): the program against etcd +
# kube-apiserver + OpenBao with the real Vault Secrets Operator v1.5.0 (scripts/e2e/operators.sh).
#   1. the seed's secret: KV v2 kv/container-register with REGISTRY_URL, REGISTRY_USERNAME,
#      REGISTRY_PASSWORD (a password with JSON-special characters) and MIRROR_USERNAME/_PASSWORD
#   2. pulumi up (no deploy token, imageUpdater on with install false): up ends only when VSO has
#      rendered regsecret in both environments and the Argo CD namespace (the wait compares the
#      source fingerprint); each regsecret holds exactly the expected .dockerconfigjson, byte for
#      byte, and nothing else; the ImageUpdater and the ApplicationSet are accepted by the API
#      server with the upstream CRDs
#   3. Vault decides: the Argo CD role (its own ServiceAccount only) reads the registry secret and
#      nothing else; the environment roles read it too; no other role or ServiceAccount gets in
#   4. the secret changes in Vault (REGISTRY_URL docker.io): every regsecret follows at the next
#      refresh, with Docker Hub's two keys; a secret without REGISTRY_PASSWORD fails VSO's sync with
#      the template's message and every regsecret keeps the last good content
#   5. the stack never holds the credentials (state, logs), writes no registry secret, makes no
#      deploy token; preview --expect-no-changes; destroy leaves the Vault secret as it was
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=registry-source
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start

step "operators: VSO"
bash "$ROOT/scripts/e2e/operators.sh" start vso

STACK=rs
PREFIX=rs
ENVS=(dev prod)
NAMESPACES=(rs-dev rs-prod argocd)
E2E_STACKS=("$STACK")
SRC_MOUNT=kv SRC_PATH=container-register
REG_HOST=registry.e2e.example.com MIRROR=mirror.e2e.example.com
REG_USER=e2e-puller REG_PASS='p&ss<w>"rd\1' MIRROR_USER=mirror-user MIRROR_PASS='m1rr0r&pass'
REG_PASS2='second-pass-2' REPO_TOKEN="glpat-e2e-reader-$(openssl rand -hex 6)"

step "the existing Vault secret (kv/$SRC_PATH)"
vcurl -X POST -d '{"type":"kv","options":{"version":"2"}}' "$VAULT_ADDR/v1/sys/mounts/$SRC_MOUNT" >/dev/null 2>&1 || true
put_source() { # JSON data
  vcurl -X POST -H 'Content-Type: application/json' -d "$(jq -cn --argjson d "$1" '{data:$d}')" "$VAULT_ADDR/v1/$SRC_MOUNT/data/$SRC_PATH" >/dev/null
}
src_version() { vget "$SRC_MOUNT/data/$SRC_PATH" | jq -r '.data.metadata.version'; }
SRC1=$(jq -cn --arg url "$REG_HOST" --arg u "$REG_USER" --arg p "$REG_PASS" --arg mu "$MIRROR_USER" --arg mp "$MIRROR_PASS" \
  '{REGISTRY_URL:$url,REGISTRY_USERNAME:$u,REGISTRY_PASSWORD:$p,MIRROR_USERNAME:$mu,MIRROR_PASSWORD:$mp}')
put_source "$SRC1"
check "kv/$SRC_PATH written (version $(src_version))" test -n "$(src_version)"

pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
cfg() { pulumi config set --stack "$STACK" "$@" >/dev/null; }
cfg kubernetes:kubeconfig "$KUBECONFIG"
cfg vault:address "$VAULT_ADDR"
cfg --secret vault:token "$VAULT_TOKEN"
cfg gitops-platform:namespacePrefix "$PREFIX"
cfg gitops-platform:environments '{"dev":{},"prod":{}}'
cfg gitops-platform:services '[{"name":"api-gateway"}]'
cfg gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" '{host:"gitlab.example.com",apiUrl:$api,group:$group}')"
cfg gitops-platform:registry "$(jq -cn --arg m "$SRC_MOUNT" --arg p "$SRC_PATH" --arg mirror "$MIRROR" '{vault:{mount:$m,path:$p},mirror:{server:$mirror}}')"
cfg gitops-platform:argocd '{"enabled":false,"repoUsername":"e2e-reader"}'
cfg --secret gitops-platform:argocdRepoToken "$REPO_TOKEN"
# VSO is "installed out of band" (started above) and re-reads the source every 5 s here.
cfg gitops-platform:vso "$(jq -cn --arg a "$VAULT_ADDR" '{enabled:false,vaultAddress:$a,refreshAfter:"5s",syncTimeout:"2m"}')"
cfg gitops-platform:imageUpdater "$(jq -cn --arg img "$REG_HOST/team/api-gateway" \
  '{enabled:true,install:false,images:[{service:"api-gateway",image:$img}]}')"
cfg gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:"rs",kubernetesHost:$host,kubernetesCaCert:$ca}')"

step "pulumi up"
T_UP=$SECONDS
if run_pulumi up.log up --yes --skip-preview --stack "$STACK"; then
  ok "pulumi up succeeded in $(( SECONDS - T_UP ))s (it waited for VSO's rendering in ${#NAMESPACES[@]} namespaces)"
  grep -E 'RegistrySecretSync' "$WORK/up.log" | tail -n 4 >&2 || true
else
  bad "pulumi up"; tail -n 60 "$WORK/up.log" >&2; tail -n 30 "$CLUSTER_DIR/logs/vso.log" >&2
fi

# The .dockerconfigjson VSO must render: keys sorted (Go's JSON of a map), compact, & < > unescaped.
login_json() { jq -cn --arg u "$1" --arg p "$2" '{auth: ("\($u):\($p)" | @base64), password: $p, username: $u}'; }
expected() { # registry keys (space-separated), user, password
  local keys=$1 u=$2 p=$3 reg mir
  reg=$(login_json "$u" "$p") mir=$(login_json "$MIRROR_USER" "$MIRROR_PASS")
  jq -cnS --arg keys "$keys" --argjson reg "$reg" --argjson mir "$mir" --arg m "$MIRROR" \
    '{auths: (($keys | split(" ") | map({key: ., value: $reg}) | from_entries) + {($m): $mir})}'
}
regsecret_is() { # namespace, expected .dockerconfigjson
  local s fp; s=$(kubectl get secret regsecret -n "$1" -o json) || return 1
  fp=$(kubectl get vaultstaticsecret regsecret -n "$1" -o json | jq -r '.spec.destination.annotations["gitops-platform/registry-source"]')
  [[ -n "$fp" && "$fp" != null ]] || return 1
  jq -e --arg want "$2" --arg fp "$fp" '
    .type == "kubernetes.io/dockerconfigjson"
    and (.data | keys) == [".dockerconfigjson"]
    and (.data[".dockerconfigjson"] | @base64d) == $want
    and .metadata.annotations["gitops-platform/registry-source"] == $fp' <<<"$s" >/dev/null
}
wait_regsecret() { # namespace, expected, seconds
  local i; for i in $(seq 1 "$3"); do regsecret_is "$1" "$2" && return 0; sleep 1; done; return 1
}
show_regsecret() { kubectl get secret regsecret -n "$1" -o json | jq -r '.data[".dockerconfigjson"] | @base64d' | sed 's/"password":"[^"]*"/"password":"…"/g; s/"auth":"[^"]*"/"auth":"…"/g' >&2; }

step "regsecret rendered by VSO from the Vault secret"
WANT1=$(expected "$REG_HOST" "$REG_USER" "$REG_PASS")
for ns in "${NAMESPACES[@]}"; do
  if regsecret_is "$ns" "$WANT1"; then
    ok "$ns/regsecret: dockerconfigjson, only .dockerconfigjson, exactly the registry login + the mirror's, source fingerprint annotated"
  else
    bad "$ns/regsecret is not the expected rendering"; show_regsecret "$ns" || true
  fi
done
[[ -n "${E2E_VERBOSE:-}" ]] && show_regsecret rs-dev

step "Image Updater's objects accepted by the API server (upstream CRDs)"
IU=$(kubectl get imageupdaters.argocd-image-updater.argoproj.io rs-api-gateway -n argocd -o json 2>/dev/null || echo '{}')
check "ImageUpdater argocd/rs-api-gateway: api-gateway-dev ~0-0, api-gateway-prod ~0, write-back argocd" jq -e --arg img "$REG_HOST/team/api-gateway" '
  .spec.writeBackConfig.method == "argocd"
  and [.spec.applicationRefs[] | [.namePattern, .images[0].imageName]] == [["api-gateway-dev", ($img + ":~0-0")], ["api-gateway-prod", ($img + ":~0")]]' <<<"$IU"
APPSET=$(kubectl get applicationsets.argoproj.io rs-services -n argocd -o json 2>/dev/null || echo '{}')
check "ApplicationSet rs-services keeps the updater's Helm parameters of api-gateway-dev and api-gateway-prod" jq -e '
  .spec.ignoreApplicationDifferences == [{name: "api-gateway-dev", jqPathExpressions: [".spec.sources[0].helm.parameters"]},
                                         {name: "api-gateway-prod", jqPathExpressions: [".spec.sources[0].helm.parameters"]}]' <<<"$APPSET"

step "access through real logins (Vault decides)"
vcurl -X POST -H 'Content-Type: application/json' -d '{"data":{"x":"1"}}' "$VAULT_ADDR/v1/$SRC_MOUNT/data/other" >/dev/null
vstatus() { local t=$1 m=$2 p=$3 d=${4:-}; curl -s -o /dev/null -w '%{http_code}' -X "$m" -H "X-Vault-Token: $t" ${d:+-d "$d"} "$VAULT_ADDR/v1/$p"; }
login_status() { # namespace serviceaccount role
  local jwt; jwt=$(kubectl create token "$2" -n "$1" --audience vault) || { echo no-token; return; }
  curl -s -o /dev/null -w '%{http_code}' -X POST "$VAULT_ADDR/v1/auth/kubernetes/login" -d "$(jq -cn --arg role "$3" --arg jwt "$jwt" '{role:$role,jwt:$jwt}')"
}
ARGO_TOKEN=$(sa_login argocd gitops-platform-regsecret argocd-regsecret || true)
check "argocd/gitops-platform-regsecret logs in with argocd-regsecret" test -n "$ARGO_TOKEN"
check "argocd-regsecret reads $SRC_MOUNT/data/$SRC_PATH" test "$(vstatus "${ARGO_TOKEN:-x}" GET "$SRC_MOUNT/data/$SRC_PATH")" == 200
check "argocd-regsecret cannot read another secret of the mount ($SRC_MOUNT/data/other)" test "$(vstatus "${ARGO_TOKEN:-x}" GET "$SRC_MOUNT/data/other")" == 403
check "argocd-regsecret cannot read the metadata of the registry secret" test "$(vstatus "${ARGO_TOKEN:-x}" GET "$SRC_MOUNT/metadata/$SRC_PATH")" == 403
check "argocd-regsecret cannot read a service secret (secret/data/rs/api-gateway/dev/config)" test "$(vstatus "${ARGO_TOKEN:-x}" GET "secret/data/rs/api-gateway/dev/config")" == 403
check "argocd-regsecret cannot write the registry secret" test "$(vstatus "${ARGO_TOKEN:-x}" POST "$SRC_MOUNT/data/$SRC_PATH" '{"data":{"REGISTRY_URL":"evil"}}')" == 403
check "argocd/default cannot log in with argocd-regsecret" test "$(login_status argocd default argocd-regsecret)" != 200
check "argocd/gitops-platform-regsecret cannot log in with rs-dev-default" test "$(login_status argocd gitops-platform-regsecret rs-dev-default)" != 200
for env in "${ENVS[@]}"; do
  t=$(sa_login "rs-$env" default "rs-$env-default" || true)
  check "rs-$env-default reads $SRC_MOUNT/data/$SRC_PATH (the environments' policies allow that path)" test "$(vstatus "${t:-x}" GET "$SRC_MOUNT/data/$SRC_PATH")" == 200
  check "rs-$env-default cannot read $SRC_MOUNT/data/other" test "$(vstatus "${t:-x}" GET "$SRC_MOUNT/data/other")" == 403
done

step "the stack writes no registry secret, makes no deploy token, never holds the credentials"
check "no stack registry secret at secret/data/rs/platform/stacks/$STACK/registry" test "$(vstatus "$VAULT_TOKEN" GET "secret/data/rs/platform/stacks/$STACK/registry")" == 404
check "no deploy token in the GitLab double" test "$(gl_tokens | jq length)" == 0
STATE=$(pulumi stack export --show-secrets --stack "$STACK")
# raw, as a JSON string body (the state is JSON) and inside the base64 auth
REG_PASS_JSON=$(jq -rn --arg p "$REG_PASS" '$p | tojson | .[1:-1]')
no_creds_in() { local f; for f in "$@"; do grep -qF -e "$REG_PASS" -e "$REG_PASS_JSON" -e "$MIRROR_PASS" -e "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" "$f" && return 1; done; return 0; }
printf '%s' "$STATE" >"$WORK/state.json"
check "the registry and mirror passwords are nowhere in the state (even decrypted) or the up log" no_creds_in "$WORK/state.json" "$WORK/up.log"

step "the secret changes in Vault: every regsecret follows (REGISTRY_URL docker.io → Docker Hub's two keys)"
SRC2=$(jq -c --arg p "$REG_PASS2" '.REGISTRY_URL = "docker.io" | .REGISTRY_PASSWORD = $p' <<<"$SRC1")
put_source "$SRC2"
WANT2=$(expected "https://index.docker.io/v1/ https://registry-1.docker.io" "$REG_USER" "$REG_PASS2")
T_FOLLOW=$SECONDS
for ns in "${NAMESPACES[@]}"; do
  if wait_regsecret "$ns" "$WANT2" 60; then ok "$ns/regsecret follows the new version ($(( SECONDS - T_FOLLOW ))s)"
  else bad "$ns/regsecret did not follow"; show_regsecret "$ns" || true; fi
done

step "a broken secret (no REGISTRY_PASSWORD): the sync fails with the template's message, regsecret keeps the last good content"
put_source "$(jq -c 'del(.REGISTRY_PASSWORD)' <<<"$SRC2")"
MSG='the registry secret needs non-empty REGISTRY_URL, REGISTRY_USERNAME and REGISTRY_PASSWORD'
saw_msg() { grep -qF "$MSG" "$CLUSTER_DIR/logs/vso.log" || kubectl get events -n rs-dev -o json | jq -e --arg m "$MSG" '[.items[].message | select(contains($m))] | length > 0' >/dev/null; }
for _ in $(seq 1 40); do saw_msg && break; sleep 1; done
check "VSO reports the template's message" saw_msg
sleep 6
for ns in "${NAMESPACES[@]}"; do
  check "$ns/regsecret still holds the last good rendering" regsecret_is "$ns" "$WANT2"
done
check "VSO's log holds no registry password" bash -c "! grep -qF -e '$REG_PASS2' -e '$MIRROR_PASS' '$CLUSTER_DIR/logs/vso.log'"
put_source "$SRC2"

step "preview --expect-no-changes"
if run_pulumi preview.log preview --expect-no-changes --diff --stack "$STACK"; then ok "a second run changes nothing (the Vault secret's changes are VSO's, not drift)"
else bad "preview --expect-no-changes"; tail -n 40 "$WORK/preview.log" >&2; fi

step "pulumi destroy"
V_BEFORE=$(src_version)
if run_pulumi destroy.log destroy --yes --skip-preview --stack "$STACK"; then ok "pulumi destroy succeeded"
else bad "pulumi destroy"; tail -n 40 "$WORK/destroy.log" >&2; fi
check "the Vault secret is left as it was (version $V_BEFORE, never written by the stack)" test "$(src_version)" == "$V_BEFORE"
pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || true

(( FAIL == 0 ))
