#!/usr/bin/env bash
# End-to-end smoke test: the real program against real servers, fully offline.
#   1. builds the toolchain if the cache is cold (scripts/e2e/toolchain.sh)
#   2. starts etcd + kube-apiserver + kube-controller-manager + OpenBao dev (scripts/e2e/cluster.sh)
#   3. offline Pulumi (scripts/e2e/pulumi-env.sh), a throw-away project dir that links to this
#      checkout's Pulumi.yaml, stacks/, components/, node_modules/ (nothing is written to the clone)
#      and the GitLab API double (test/support/gitlab-double) as its own process on 127.0.0.1
#   4. pulumi up; checks what users rely on (namespaces, Vault policies/roles, registry secret in KV,
#      a ServiceAccount token really logs in to its environment's role and reads the registry path,
#      the GitLab deploy tokens in the double, in Vault and in Argo CD's repo-creds, never in clear
#      in outputs, logs or the state)
#   5. pulumi preview --expect-no-changes; the read-only drift check (npm run drift) exits 0 and
#      leaves the state byte-identical
#   6. the registry deploy token is revoked out of band: refresh drops it, up creates a new one and
#      Vault gets it, preview --expect-no-changes
#   7. pulumi destroy (the tokens are revoked in GitLab); everything stopped and removed
# Prints "N passed, N failed" at the end. Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=smoke
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
[[ -f "$ROOT/stacks/index.ts" ]] || { echo "smoke: stacks/index.ts missing" >&2; exit 1; }
e2e_preflight
DT_NAME=e2e-registry DT_DAYS=30 DT_ROTATE=7
e2e_start

STACK=e2e
PREFIX=e2e
E2E_STACKS=("$STACK")
# this stack's own registry secret (KV path without mount and data/)
REG_PATH=e2e/platform/stacks/$STACK/registry
pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
cfg() { pulumi config set --stack "$STACK" "$@" >/dev/null; }
cfg kubernetes:kubeconfig "$KUBECONFIG"
cfg vault:address "$VAULT_ADDR"
cfg --secret vault:token "$VAULT_TOKEN"
cfg gitops-platform:namespacePrefix "$PREFIX"
cfg gitops-platform:environments '{"dev":{"serviceAccounts":["default"]},"staging":{}}'
cfg gitops-platform:services '[{"name":"api-gateway"}]'
cfg gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" --arg name "$DT_NAME" \
  --argjson days "$DT_DAYS" --argjson before "$DT_ROTATE" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:$name,expiresInDays:$days,rotateBeforeDays:$before}}')"
cfg --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
# static credentials for a second registry, next to the deploy token's registry.gitlab.example.com
cfg --path gitops-platform:registry.server registry.example.com
cfg --path gitops-platform:registry.username e2e-user
cfg --path --secret gitops-platform:registry.password e2e-registry-password
# Argo CD's repo-creds come from the read_repository deploy token
cfg gitops-platform:argocd '{"enabled":false}'
cfg gitops-platform:vso '{"enabled":false,"waitForSync":false}'
cfg gitops-platform:imageUpdater '{"enabled":false}'
cfg gitops-platform:cloudflare '{"enabled":false}'
# OpenBao dev already mounts KV v2 at secret/; OpenBao reaches the API server on loopback.
cfg gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:"e2e",kubernetesHost:$host,kubernetesCaCert:$ca}')"

# Service secret placeholders: staging already holds a team's values (kept as they are), dev is
# missing (created). Both paths start clean so a rerun against the same Vault tests the same thing.
PH_KEPT=e2e/api-gateway/staging/config PH_NEW=e2e/api-gateway/dev/config
for p in "$PH_KEPT" "$PH_NEW"; do vcurl -X DELETE "$VAULT_ADDR/v1/secret/metadata/$p" >/dev/null || true; done
vcurl -X POST -H 'Content-Type: application/json' -d '{"data":{"API_KEY":"team-value-e2e"}}' \
  "$VAULT_ADDR/v1/secret/data/$PH_KEPT" >/dev/null
PH_KEPT_VERSION=$(vget "secret/data/$PH_KEPT" | jq -r '.data.metadata.version')
ph_kept() { vget "secret/data/$PH_KEPT" | jq -e --argjson v "$PH_KEPT_VERSION" '.data.data == {"API_KEY":"team-value-e2e"} and .data.metadata.version == $v' >/dev/null; }
ph_new() { vget "secret/data/$PH_NEW" | jq -e '.data.data | keys == ["_placeholder"]' >/dev/null; }

step "pulumi up"
# check() fixes expiresAt at midnight UTC, today + expiresInDays (either side of a midnight during the run)
EXPIRES_BEFORE=$(date -u -d "+$DT_DAYS days" +%Y-%m-%dT00:00:00.000Z)
if pulumi up --yes --non-interactive --skip-preview --stack "$STACK" >"$WORK/up.log" 2>&1; then
  ok "pulumi up succeeded"; tail -n 15 "$WORK/up.log" >&2
else
  bad "pulumi up"; tail -n 60 "$WORK/up.log" >&2
fi

step "checks"
OUT=$(pulumi stack output --json --show-secrets=false --stack "$STACK" 2>/dev/null || echo '{}')
printf '%s\n' "$OUT" >&2
for env in dev staging; do
  check "namespace $PREFIX-$env exists" kubectl get namespace "$PREFIX-$env"
done
check "registry credentials stored in KV v2 at secret/$REG_PATH" \
  bash -c "$(declare -f vget); vget secret/data/$REG_PATH | jq -e '.data.data | length > 0'"
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
  curl -fsS -H "X-Vault-Token: $SA_TOKEN" "$VAULT_ADDR/v1/secret/data/$REG_PATH"

check "existing $PH_KEPT keeps its data and version $PH_KEPT_VERSION" ph_kept
check "missing $PH_NEW was created with the placeholder" ph_new
check "up listed the placeholder secret-placeholder-api-gateway-dev" grep -q 'secret-placeholder-api-gateway-dev' "$WORK/up.log"
ph_not_in_state() { local st; st=$(pulumi stack export --show-secrets --stack "$STACK") && ! grep -q team-value-e2e <<<"$st"; }
check "the state holds no value of $PH_KEPT" ph_not_in_state

step "checks: GitLab deploy tokens"
REG=$(gl_active read_registry) REPO=$(gl_active read_repository)
EXPIRES=$(date -u -d "+$DT_DAYS days" +%Y-%m-%dT00:00:00.000Z)
one_token() { # JSON lines, name: exactly one token, with that name and the configured expiry
  jq -se --arg n "$2" --arg e1 "$EXPIRES_BEFORE" --arg e2 "$EXPIRES" \
    'length == 1 and .[0].name == $n and (.[0].expires_at == $e1 or .[0].expires_at == $e2)' <<<"$1"
}
check "the double holds one active read_registry token named $DT_NAME expiring $EXPIRES" one_token "$REG" "$DT_NAME"
check "the double holds one active read_repository token named $DT_NAME-argocd expiring $EXPIRES" one_token "$REPO" "$DT_NAME-argocd"
# auths["registry.<host>"] of the .dockerconfigjson in KV, and the static registry's entry
kv_auths() { vget secret/data/$REG_PATH | jq -c '.data.data[".dockerconfigjson"] | fromjson | .auths'; }
vault_has_token() { # token JSON (from the double): KV carries base64(username:token) for registry.<host>
  local want; want=$(jq -rj '.username + ":" + .token' <<<"$1" | base64 -w0)
  kv_auths | jq -e --arg a "$want" --arg u "$(jq -r .username <<<"$1")" \
    '.["registry.gitlab.example.com"] | .auth == $a and .username == $u'
}
check "Vault .dockerconfigjson: registry.gitlab.example.com auth = base64(username:token) of the registry deploy token" \
  vault_has_token "$REG"
static_entry() { kv_auths | jq -e '.["registry.example.com"].username == "e2e-user"'; }
check "Vault .dockerconfigjson keeps the static registry.example.com entry" static_entry
repo_creds_match() {
  local s; s=$(kubectl get secret gitlab-repo-creds -n argocd -o json) || return 1
  jq -e --arg u "$(jq -r .username <<<"$REPO")" --arg p "$(jq -r .token <<<"$REPO")" \
    '(.metadata.labels["argocd.argoproj.io/secret-type"] == "repo-creds")
     and (.data.username | @base64d) == $u and (.data.password | @base64d) == $p
     and (.data.url | @base64d) == "https://gitlab.example.com/e2e-group/platform"' <<<"$s"
}
check "Argo CD repo-creds Secret carries the read_repository token's username/password" repo_creds_match
pulumi stack export --stack "$STACK" >"$WORK/state.json" 2>/dev/null || true
DT_TYPE=pulumi-nodejs:dynamic/gitlab:GroupDeployToken
check "state: both tokens' values and the API token are secret ciphertexts" \
  jq -e --arg t "$DT_TYPE" '[.deployment.resources[] | select(.type == $t)] | length == 2 and
    all(.outputs.token.ciphertext and .outputs.apiToken.ciphertext and .inputs.apiToken.ciphertext)' "$WORK/state.json"
# no token value (deploy tokens, the API token) in clear anywhere Pulumi writes
# Every value seen so far is kept in VALUES (the double forgets deleted tokens).
VALUES="$WORK/gitlab-double/values"
no_leak() { # files...
  local v f values
  values=$(gl_tokens | jq -r '.[].token') || return 1
  printf '%s\n' $values "$GL_API_TOKEN" "$GL_API_TOKEN2" >>"$VALUES"
  sort -u -o "$VALUES" "$VALUES"
  (( $(wc -l <"$VALUES") >= 4 )) || { echo "too few token values from the double" >&2; return 1; }
  while read -r v; do
    for f in "$@"; do grep -qF -- "$v" "$f" && { echo "leak of a token in $f" >&2; return 1; }; done
  done <"$VALUES"
  return 0
}
printf '%s\n' "$OUT" >"$WORK/outputs.json"
check "no token value in clear in stack outputs, the up log or the exported state" \
  no_leak "$WORK/outputs.json" "$WORK/up.log" "$WORK/state.json"

step "pulumi preview --expect-no-changes"
if pulumi preview --expect-no-changes --diff --non-interactive --stack "$STACK" >"$WORK/preview.log" 2>&1; then
  ok "second run changes nothing"; tail -n 8 "$WORK/preview.log" >&2
else
  bad "preview --expect-no-changes"; tail -n 60 "$WORK/preview.log" >&2
fi

step "the scheduled drift check (npm run drift) on the fresh stack"
drift_check "$STACK" fresh 0
cat "$WORK/drift-fresh.log" >&2

step "registry deploy token revoked out of band"
OLD_ID=$(jq -r .id <<<"$REG")
curl -fsS -X POST "$GL_URL/_double/revoke?group=$(jq -rn --arg g "$GL_GROUP" '$g|@uri')&id=$OLD_ID" >/dev/null
if pulumi refresh --yes --diff --non-interactive --skip-preview --stack "$STACK" >"$WORK/refresh-revoked.log" 2>&1; then
  ok "refresh after revocation succeeded"; tail -n 8 "$WORK/refresh-revoked.log" >&2
else
  bad "refresh after revocation"; tail -n 60 "$WORK/refresh-revoked.log" >&2
fi
pulumi stack export --stack "$STACK" >"$WORK/state-refreshed.json" 2>/dev/null || true
check "refresh dropped the revoked token (id $OLD_ID) from the state, kept the repo token" \
  jq -e --arg t "$DT_TYPE" --arg id "$OLD_ID" '[.deployment.resources[] | select(.type == $t)] |
    (map(select(.id == $id)) | length == 0) and length == 1' "$WORK/state-refreshed.json"
if pulumi preview --diff --non-interactive --stack "$STACK" >"$WORK/preview-revoked.log" 2>&1 \
   && grep -qE '^ *\+ .*gitlab:GroupDeployToken' "$WORK/preview-revoked.log"; then
  ok "preview shows the registry token will be created"
else
  bad "preview after revocation"; tail -n 40 "$WORK/preview-revoked.log" >&2
fi
if pulumi up --yes --non-interactive --skip-preview --stack "$STACK" >"$WORK/up-revoked.log" 2>&1; then
  ok "pulumi up after revocation succeeded"; tail -n 10 "$WORK/up-revoked.log" >&2
else
  bad "pulumi up after revocation"; tail -n 60 "$WORK/up-revoked.log" >&2
fi
REG2=$(gl_active read_registry)
check "a new active read_registry token exists (not id $OLD_ID)" \
  jq -se --arg id "$OLD_ID" --arg n "$DT_NAME" 'length == 1 and (.[0].id | tostring) != $id and .[0].name == $n' <<<"$REG2"
old_revoked() { gl_tokens | jq -e --argjson id "$OLD_ID" '.[] | select(.id == $id) | .revoked'; }
check "the old registry token stays revoked" old_revoked
check "Vault now holds the new registry token" vault_has_token "$REG2"
check "Argo CD repo-creds unchanged (read_repository token untouched)" repo_creds_match
if pulumi preview --expect-no-changes --diff --non-interactive --stack "$STACK" >"$WORK/preview-2.log" 2>&1; then
  ok "after the new token, a further run changes nothing"
else
  bad "preview --expect-no-changes after the new token"; tail -n 60 "$WORK/preview-2.log" >&2
fi
pulumi stack export --stack "$STACK" >"$WORK/state-2.json" 2>/dev/null || true
printf '%s\n' "$(pulumi stack output --json --show-secrets=false --stack "$STACK" 2>/dev/null)" >"$WORK/outputs-2.json"
check "still no token value in clear (outputs, every log, the state)" \
  no_leak "$WORK"/outputs*.json "$WORK"/state*.json "$WORK"/*.log

step "gitlabToken rotated: the API token kept in the state is revoked"
cfg --secret gitops-platform:gitlabToken "$GL_API_TOKEN2"
curl -fsS -X POST -H 'Content-Type: application/json' -d "$(jq -cn --arg t "$GL_API_TOKEN" '{token:$t}')" \
  "$GL_URL/_double/revoke-api-token" >/dev/null
# A plain refresh configures the dynamic provider from the state (the config of the last up), so
# it still has only the revoked token: it must fail with GitLab's 401 explained, not "Unknown Error".
if pulumi refresh --yes --non-interactive --skip-preview --stack "$STACK" >"$WORK/refresh-rotated.log" 2>&1; then
  bad "plain refresh with a revoked API token everywhere succeeded (expected the 401 explained)"
elif grep -q 'error: GitLab rejected the API token (401 Unauthorized).*pulumi config set --secret gitops-platform:gitlabToken' "$WORK/refresh-rotated.log"; then
  ok "plain refresh: the 401 is reported with its explanation"
else
  bad "plain refresh after rotation: unexpected error"; tail -n 40 "$WORK/refresh-rotated.log" >&2
fi
# With --run-program the provider gets the current config: read retries with the new gitlabToken.
if pulumi refresh --run-program --yes --non-interactive --skip-preview --stack "$STACK" \
     >"$WORK/refresh-rotated-run.log" 2>&1; then
  ok "refresh --run-program falls back to the current gitlabToken on 401"
else
  bad "refresh --run-program after gitlabToken rotation"; tail -n 60 "$WORK/refresh-rotated-run.log" >&2
fi
# The drift check runs the program too, so it reads GitLab with the new gitlabToken: no drift.
drift_check "$STACK" gitlab-token-rotated 0
# Preview shows both tokens as in-place updates. Their outputs are unknown in a preview of a
# dynamic resource's update, so dependents (repo-creds, Vault) show as changing there; the real
# up below must touch nothing but the two tokens' state.
if pulumi preview --diff --non-interactive --stack "$STACK" >"$WORK/preview-rotated.log" 2>&1 \
   && [[ $(grep -cE '~ pulumi-nodejs:dynamic/gitlab:GroupDeployToken: \(update\)' "$WORK/preview-rotated.log") == 2 ]] \
   && ! grep -qE 'gitlab:GroupDeployToken: \((replace|create|delete|create-replacement|delete-replaced)\)' "$WORK/preview-rotated.log"; then
  ok "preview: a new gitlabToken is an in-place update of both deploy tokens"
else
  bad "preview after gitlabToken rotation"; tail -n 60 "$WORK/preview-rotated.log" >&2
fi
if pulumi up --yes --non-interactive --skip-preview --stack "$STACK" >"$WORK/up-rotated.log" 2>&1 \
   && grep -qE '~ 2 updated' "$WORK/up-rotated.log" && ! grep -qE '(created|deleted|replaced)$' "$WORK/up-rotated.log"; then
  ok "up after gitlabToken rotation: 2 tokens updated in place, nothing else changed"
else
  bad "up after gitlabToken rotation"; tail -n 60 "$WORK/up-rotated.log" >&2
fi
same_tokens() { [[ "$(gl_active read_registry | jq -r .id)" == "$(jq -r .id <<<"$REG2")" && "$(gl_active read_repository | jq -r .id)" == "$(jq -r .id <<<"$REPO")" ]]; }
check "the same two deploy tokens are active" same_tokens
check "Vault still holds the same registry token" vault_has_token "$REG2"
check "Argo CD repo-creds still hold the read_repository token" repo_creds_match

step "pulumi destroy"
if pulumi destroy --yes --non-interactive --skip-preview --stack "$STACK" >"$WORK/destroy.log" 2>&1; then
  ok "pulumi destroy succeeded"; tail -n 8 "$WORK/destroy.log" >&2
else
  bad "pulumi destroy"; tail -n 60 "$WORK/destroy.log" >&2
fi
check "namespace $PREFIX-dev gone" bash -c "! kubectl get namespace $PREFIX-dev 2>/dev/null | grep -q Active"
check "destroy left $PH_KEPT with the team's data and version" ph_kept
check "destroy left the placeholder at $PH_NEW" ph_new
for p in "$PH_KEPT" "$PH_NEW"; do vcurl -X DELETE "$VAULT_ADDR/v1/secret/metadata/$p" >/dev/null || true; done
check "registry secret gone from KV" bash -c "! curl -fsS -H 'X-Vault-Token: $VAULT_TOKEN' $VAULT_ADDR/v1/secret/data/$REG_PATH"
# GitLab's DELETE revokes; the double then drops the token, so only the out-of-band revoked one is left
none_active() { gl_tokens | jq -e --argjson id "$OLD_ID" 'length == 1 and .[0].id == $id and .[0].revoked'; }
check "destroy revoked every deploy token in GitLab" none_active
check "no token value in clear in any log (destroy and rotation included)" no_leak "$WORK"/*.log
pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || true

(( FAIL == 0 ))
