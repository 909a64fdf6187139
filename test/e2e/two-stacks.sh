#!/usr/bin/env bash
# End-to-end: two stacks of this program against ONE OpenBao and ONE kube-apiserver, as users run
# the committed dev and prod stacks on a shared Vault (issue 8). Fully offline, real servers.
#   1. stacks `dev` (environments dev, staging; auth mount kubernetes) and `prod` (environment prod;
#      auth mount kubernetes-prod), same GitLab group, same KV mount and path prefix; prod's
#      kubeconfig is given as content with --secret
#   2. a path another stack claims is refused with an error naming both stacks, nothing written
#   3. both `up`: each has its own registry secret (owner marker in custom_metadata), policy and
#      token reviewer; real ServiceAccount logins read their own stack's secret and are denied the
#      other's; dev's ciPushToken is the group CI/CD variable CI_PUSH_TOKEN (masked, not protected,
#      raw) and its expiry the output ciPushTokenExpiresAt (gone again after `destroy dev`); prod's
#      CI push token is a group access token the stack makes (gitlab.ciPushToken groupAccessToken,
#      variable CI_PUSH_TOKEN_PROD): write_repository, Developer, 30 days; with GITOPS_PLATFORM_CLOCK
#      inside rotateBeforeDays the next up makes a new one, updates the variable, revokes the old one
#      (401 from then on); `destroy prod` revokes it and deletes the variable
#   4. drift on dev's registry secret (overwrite, then deleted latest version): the drift checks
#      fail, `up --refresh` writes the stack's value back, the checks are clean again
#   5. a namespace of another stack, and another stack's Argo CD objects (repo-creds, AppProject,
#      ApplicationSet: prod pointed at dev's argocd.namespace), are refused by the preflight
#   6. `destroy dev`: prod's registry secret, a real prod login and prod's drift check are intact
#   7. no token (admin bearer token of the kubeconfig, deploy tokens, Vault token, CI push token) in clear in any
#      state export, output or log
# Prints "two-stacks: N passed, N failed" at the end. Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=two-stacks
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start

PREFIX=e2e
E2E_STACKS=(dev prod)
reg_path() { echo "$PREFIX/platform/stacks/$1/registry"; }
ORG_PROJECT=organization/gitops-platform
for s in dev prod; do
  pulumi stack init "$s" --secrets-provider passphrase --non-interactive >/dev/null
  stack_cfg "$s" vault:address "$VAULT_ADDR"
  stack_cfg "$s" --secret vault:token "$VAULT_TOKEN"
  stack_cfg "$s" gitops-platform:namespacePrefix "$PREFIX"
  stack_cfg "$s" gitops-platform:services '[{"name":"api-gateway"}]'
  stack_cfg "$s" gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" --arg name "e2e-$s" \
    '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:$name,expiresInDays:30,rotateBeforeDays:7}}')"
  stack_cfg "$s" --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
done
# dev only: the CI push token (a personal access token the double knows, with an expiry) as the
# group CI/CD variable CI_PUSH_TOKEN; its expiry becomes the output ciPushTokenExpiresAt.
CI_PUSH_TOKEN="glpat-e2e-cipush-$(openssl rand -hex 12)"
CI_PUSH_EXPIRES=$(date -u -d '+200 days' +%F)
curl -fsS -X POST -H 'Content-Type: application/json' "$GL_URL/_double/personal-token" \
  -d "$(jq -cn --arg t "$CI_PUSH_TOKEN" --arg e "$CI_PUSH_EXPIRES" '{token:$t,expiresAt:$e}')" >/dev/null
stack_cfg dev --secret gitops-platform:ciPushToken "$CI_PUSH_TOKEN"
gl_variables() { curl -fsS "$GL_URL/_double/variables?group=$(jq -rn --arg g "$GL_GROUP" '$g|@uri')"; }
ci_push_variable_ok() { # exactly one CI_PUSH_TOKEN: the token, masked, not protected, not expanded (raw)
  gl_variables | jq -e --arg v "$CI_PUSH_TOKEN" \
    '[.[] | select(.key == "CI_PUSH_TOKEN")] | length == 1 and (.[0] | .value == $v and .masked and .raw and (.protected | not))'
}
ci_push_expiry_ok() { [[ $(pulumi stack output ciPushTokenExpiresAt --stack dev) == "${CI_PUSH_EXPIRES}T00:00:00.000Z" ]]; }
# prod: the CI push token as a group access token the stack creates and rotates (13.2 part c).
GAT_NAME=e2e-prod-ci-push GAT_DAYS=30 GAT_BEFORE=7
gl_access_tokens() { curl -fsS "$GL_URL/_double/access-tokens?group=$(jq -rn --arg g "$GL_GROUP" '$g|@uri')"; }
gat_active() { gl_access_tokens | jq -c --arg n "$GAT_NAME" '[.[] | select(.name == $n and (.revoked | not))]'; }
gat_ok() { # expiry date: exactly one active token with the name, write_repository, Developer, that expiry
  gat_active | jq -e --arg e "$1" 'length == 1 and (.[0] | .scopes == ["write_repository"] and .access_level == 30 and .expires_at == $e)'
}
prod_push_variable_is() { # token value
  gl_variables | jq -e --arg v "$1" '[.[] | select(.key == "CI_PUSH_TOKEN_PROD")] | length == 1 and (.[0] | .value == $v and .masked and .raw and (.protected | not))'
}
# Argo CD and VSO are installed once per cluster: on a shared cluster each stack gets its own
# installation namespaces (their repo-creds, AppProject and default VaultConnection live there).
stack_cfg dev gitops-platform:argocd '{"enabled":false}'
stack_cfg dev gitops-platform:vso '{"enabled":false,"waitForSync":false}'
kubectl create namespace argocd-prod >/dev/null
kubectl create namespace vso-prod >/dev/null
stack_cfg prod gitops-platform:argocd '{"enabled":false,"namespace":"argocd-prod"}'
stack_cfg prod gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" --arg n "$GAT_NAME" --argjson d "$GAT_DAYS" --argjson b "$GAT_BEFORE" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:"e2e-prod",expiresInDays:30,rotateBeforeDays:7},
    ciPushTokenVariable:"CI_PUSH_TOKEN_PROD",ciPushToken:{mode:"groupAccessToken",name:$n,expiresInDays:$d,rotateBeforeDays:$b}}')"
stack_cfg prod gitops-platform:vso '{"enabled":false,"namespace":"vso-prod","waitForSync":false}'
stack_cfg dev kubernetes:kubeconfig "$KUBECONFIG"
# prod: the kubeconfig's content (admin bearer token inside) as a secret, as a CI variable would give it
stack_cfg prod --secret kubernetes:kubeconfig "$(cat "$KUBECONFIG")"
# a stack named prod is protected by default; this one is destroyed at the end
stack_cfg prod gitops-platform:protect false
stack_cfg dev gitops-platform:environments '{"dev":{},"staging":{}}'
stack_cfg prod gitops-platform:environments '{"prod":{}}'
# OpenBao dev already mounts KV v2 at secret/; OpenBao reaches the API server on loopback.
vault_cfg() { # auth mount
  jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" --arg auth "$1" --arg prefix "$PREFIX" \
    '{kvMount:"secret",manageKvMount:false,pathPrefix:$prefix,kubernetesAuthMount:$auth,kubernetesHost:$host,kubernetesCaCert:$ca}'
}
stack_cfg dev gitops-platform:vault "$(vault_cfg kubernetes)"
stack_cfg prod gitops-platform:vault "$(vault_cfg kubernetes-prod)"

owner_of() { vget "secret/metadata/$(reg_path "$1")" | jq -r '.data.custom_metadata["gitops-platform-owner"] // empty'; }
dockerconfig_of() { vget "secret/data/$(reg_path "$1")" | jq -r '.data.data[".dockerconfigjson"]'; }
owner_is() { [[ $(owner_of "$1") == "$2" ]]; }
dockerconfig_is() { [[ $(dockerconfig_of "$1") == "$2" ]]; }
versions_of() { vget "secret/metadata/$(reg_path "$1")" | jq -r .data.current_version; }
has_gitlab_auth() { dockerconfig_of "$1" | jq -e '.auths["registry.gitlab.example.com"].auth'; }
policy_reads_only() { # policy, KV data path: the rules name that path and no legacy shared path
  vget "sys/policy/$1" | jq -e --arg p "$2" '.data.rules | contains("path \"" + $p + "\"") and (contains("platform/registry\"") | not)'
}
tokens_differ() { [[ $(dockerconfig_of dev | jq -r '.auths[].auth') != $(dockerconfig_of prod | jq -r '.auths[].auth') ]]; }
reviewer_labelled() { kubectl get sa "vault-token-reviewer-$1" -n kube-system -o json | jq -e --arg s "$1" '.metadata.labels["gitops-platform/stack"] == $s'; }
repo_creds_labelled() { # stack, Argo CD namespace
  kubectl get secret gitlab-repo-creds -n "$2" -o json | jq -e --arg s "$1" '.metadata.labels["gitops-platform/stack"] == $s'
}

step "a path another stack claims is refused"
vcurl -X POST -d '{"custom_metadata":{"gitops-platform-owner":"someone/else/prod"}}' \
  "$VAULT_ADDR/v1/secret/metadata/$(reg_path prod)" >/dev/null
if run_pulumi up-claimed.log up --yes --skip-preview --stack prod; then
  bad "up of prod over a path claimed by someone/else/prod succeeded"
elif grep -q "belongs to stack \"someone/else/prod\".*this stack \"$ORG_PROJECT/prod\"" "$WORK/up-claimed.log"; then
  ok "up of prod stops with an error naming both stacks"
else
  bad "up of prod over a claimed path: unexpected error"; tail -n 30 "$WORK/up-claimed.log" >&2
fi
check "nothing was written at the claimed path" test "$(versions_of prod)" = 0
check "the claim is untouched" owner_is prod someone/else/prod
vcurl -X DELETE "$VAULT_ADDR/v1/secret/metadata/$(reg_path prod)" >/dev/null
run_pulumi destroy-claimed.log destroy --yes --skip-preview --stack prod || { bad "destroy after the refused up"; tail -n 30 "$WORK/destroy-claimed.log" >&2; }

step "up dev, up prod"
for s in dev prod; do
  if run_pulumi "up-$s.log" up --yes --skip-preview --stack "$s"; then
    ok "pulumi up --stack $s"
  else
    bad "pulumi up --stack $s"; tail -n 60 "$WORK/up-$s.log" >&2
  fi
done

step "each stack owns its own Vault path, policy and token reviewer"
for s in dev prod; do
  check "$s: registry secret at secret/$(reg_path "$s") holds a .dockerconfigjson" has_gitlab_auth "$s"
  check "$s: custom_metadata gitops-platform-owner = $ORG_PROJECT/$s" owner_is "$s" "$ORG_PROJECT/$s"
  check "$s: policy registry-read-$s reads exactly its own path" policy_reads_only "registry-read-$s" "secret/data/$(reg_path "$s")"
  check "$s: token reviewer ServiceAccount vault-token-reviewer-$s labelled with its stack" reviewer_labelled "$s"
done
check "dev: Argo CD repo-creds Secret (argocd) labelled with its stack" repo_creds_labelled dev argocd
check "prod: Argo CD repo-creds Secret (argocd-prod) labelled with its stack" repo_creds_labelled prod argocd-prod
check "the two stacks hold different deploy tokens" tokens_differ
check "dev: group variable CI_PUSH_TOKEN holds ciPushToken, masked, not protected, raw" ci_push_variable_ok
check "dev: output ciPushTokenExpiresAt = the token's expiry (${CI_PUSH_EXPIRES}T00:00:00.000Z)" ci_push_expiry_ok
GAT_EXPIRES=$(date -u -d "+$GAT_DAYS days" +%F)
check "prod: one active group access token $GAT_NAME (write_repository, Developer) expiring $GAT_EXPIRES" gat_ok "$GAT_EXPIRES"
GAT1=$(gat_active | jq -r '.[0].token // empty') GAT1_ID=$(gat_active | jq -r '.[0].id // empty')
check "prod: group variable CI_PUSH_TOKEN_PROD holds it (masked, not protected, raw)" prod_push_variable_is "$GAT1"
check "prod: output ciPushTokenExpiresAt = ${GAT_EXPIRES}T00:00:00.000Z" \
  bash -c "[[ \$(pulumi stack output ciPushTokenExpiresAt --stack prod) == '${GAT_EXPIRES}T00:00:00.000Z' ]]"
check "prod: the group access token authenticates" bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' -H 'PRIVATE-TOKEN: $GAT1' '$GL_URL/api/v4/personal_access_tokens/self') == 200 ]]"
pulumi stack export --stack dev >"$WORK/state-dev-up.json" 2>/dev/null || true  # scanned for secrets below
pulumi stack output --json --show-secrets=false --stack dev >"$WORK/outputs-dev.json" 2>/dev/null || true

login_reads() { # namespace role auth-mount own-stack other-stack
  local t
  t=$(sa_login "$1" default "$2" "$3") || { echo "login to $2 failed" >&2; return 1; }
  curl -fsS -H "X-Vault-Token: $t" "$VAULT_ADDR/v1/secret/data/$(reg_path "$4")" >/dev/null || { echo "cannot read own" >&2; return 1; }
  [[ $(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $t" "$VAULT_ADDR/v1/secret/data/$(reg_path "$5")") == 403 ]] \
    || { echo "reads the other stack's secret" >&2; return 1; }
}
check "real login: default SA of $PREFIX-dev reads dev's registry secret, is denied prod's" login_reads "$PREFIX-dev" "$PREFIX-dev-default" kubernetes dev prod
check "real login: default SA of $PREFIX-prod reads prod's registry secret, is denied dev's" login_reads "$PREFIX-prod" "$PREFIX-prod-default" kubernetes-prod prod dev
for s in dev prod; do
  if run_pulumi "preview-$s.log" preview --expect-no-changes --diff --stack "$s"; then ok "$s: a second run changes nothing"
  else bad "$s: preview --expect-no-changes"; tail -n 40 "$WORK/preview-$s.log" >&2; fi
done

step "prod: the CI push group access token rotated inside rotateBeforeDays"
GAT_CLOCK=$(date -u -d "$GAT_EXPIRES - 3 days" +%Y-%m-%dT%H:%M:%SZ)
GAT_NEW_EXPIRES=$(date -u -d "$(date -u -d "$GAT_CLOCK" +%F) + $GAT_DAYS days" +%F)
if GITOPS_PLATFORM_CLOCK=$GAT_CLOCK run_pulumi up-prod-rotate.log up --yes --skip-preview --stack prod; then ok "prod: up with the clock at $GAT_CLOCK"
else bad "prod: up with the clock moved"; tail -n 40 "$WORK/up-prod-rotate.log" >&2; fi
check "prod: one active token $GAT_NAME, a new one expiring $GAT_NEW_EXPIRES" \
  bash -c "$(declare -f gl_access_tokens gat_active gat_ok); GL_URL='$GL_URL' GL_GROUP='$GL_GROUP' GAT_NAME='$GAT_NAME'; gat_ok '$GAT_NEW_EXPIRES' && [[ \$(gat_active | jq -r '.[0].id') != '$GAT1_ID' ]]"
GAT2=$(gat_active | jq -r '.[0].token // empty')
check "prod: CI_PUSH_TOKEN_PROD holds the new token" prod_push_variable_is "$GAT2"
check "prod: the old token is revoked in GitLab and rejected (401)" \
  bash -c "$(declare -f gl_access_tokens); GL_URL='$GL_URL' GL_GROUP='$GL_GROUP'; gl_access_tokens | jq -e --arg id '$GAT1_ID' '.[] | select((.id | tostring) == \$id) | .revoked' && [[ \$(curl -s -o /dev/null -w '%{http_code}' -H 'PRIVATE-TOKEN: $GAT1' '$GL_URL/api/v4/personal_access_tokens/self') == 401 ]]"
check "prod: output ciPushTokenExpiresAt moved to ${GAT_NEW_EXPIRES}T00:00:00.000Z" \
  bash -c "[[ \$(pulumi stack output ciPushTokenExpiresAt --stack prod) == '${GAT_NEW_EXPIRES}T00:00:00.000Z' ]]"
if GITOPS_PLATFORM_CLOCK=$GAT_CLOCK run_pulumi preview-prod-rotated.log preview --expect-no-changes --diff --stack prod; then ok "prod: after the rotation a further run changes nothing"
else bad "prod: preview --expect-no-changes after the rotation"; tail -n 40 "$WORK/preview-prod-rotated.log" >&2; fi
pulumi stack export --stack prod >"$WORK/state-prod-rotated.json" 2>/dev/null || true
check "prod: state holds the group access token and the API token as secret ciphertexts" jq -e '
  [.deployment.resources[] | select(.type == "pulumi-nodejs:dynamic/gitlab:GroupAccessToken")] | length == 1 and
  all(.outputs.token.ciphertext and .outputs.apiToken.ciphertext)' "$WORK/state-prod-rotated.json"

step "a namespace of another stack is refused"
stack_cfg prod gitops-platform:environments "{\"prod\":{\"namespace\":\"$PREFIX-dev\"}}"
if run_pulumi preview-steal.log preview --stack prod; then
  bad "prod's preview with dev's namespace succeeded"
elif grep -q "namespace $PREFIX-dev belongs to stack \"dev\".*this stack \"prod\"" "$WORK/preview-steal.log"; then
  ok "prod's preview with dev's namespace stops, naming both stacks"
else
  bad "namespace of another stack: unexpected output"; tail -n 30 "$WORK/preview-steal.log" >&2
fi
stack_cfg prod gitops-platform:environments '{"prod":{}}'

step "Argo CD objects of another stack are refused"
# With force-apply on, prod's up would otherwise take over dev's repo-creds, AppProject and ApplicationSet.
stack_cfg prod gitops-platform:argocd '{"enabled":false,"namespace":"argocd"}'
if run_pulumi preview-steal-argocd.log preview --stack prod; then
  bad "prod's preview with dev's Argo CD namespace succeeded"
elif grep -q "gitops-platform:argocd.namespace: Secret argocd/gitlab-repo-creds.* to stack \"dev\" (label gitops-platform/stack), not to this stack \"prod\"" "$WORK/preview-steal-argocd.log"; then
  ok "prod's preview with dev's Argo CD namespace stops, naming both stacks"
else
  bad "Argo CD objects of another stack: unexpected output"; tail -n 30 "$WORK/preview-steal-argocd.log" >&2
fi
stack_cfg prod gitops-platform:argocd '{"enabled":false,"namespace":"argocd-prod"}'

step "drift: dev's registry secret overwritten out of band"
GOOD=$(dockerconfig_of dev)
vcurl -X POST -d '{"data":{".dockerconfigjson":"{}"}}' "$VAULT_ADDR/v1/secret/data/$(reg_path dev)" >/dev/null
if run_pulumi drift-overwrite.log preview --refresh --expect-no-changes --diff --stack dev; then
  bad "preview --refresh --expect-no-changes passed with garbage in Vault"
else
  ok "preview --refresh --expect-no-changes reports the overwrite"
fi
drift_check dev overwrite 2
check "the drift check names dev's registry secret" \
  jq -e '[.stacks[0].changes[] | select(.drifted and .name == "registry-vault-secret")] | length == 1' "$WORK/reports/overwrite/drift.json"
if run_pulumi up-repair.log up --refresh --yes --skip-preview --stack dev; then ok "up --refresh after the overwrite"
else bad "up --refresh after the overwrite"; tail -n 40 "$WORK/up-repair.log" >&2; fi
check "KV holds dev's .dockerconfigjson again" dockerconfig_is dev "$GOOD"
if run_pulumi drift-clean.log preview --refresh --expect-no-changes --diff --stack dev; then ok "after the repair the drift check is clean"
else bad "drift check after the repair"; tail -n 40 "$WORK/drift-clean.log" >&2; fi

step "drift: the latest version of dev's registry secret deleted out of band"
vcurl -X DELETE "$VAULT_ADDR/v1/secret/data/$(reg_path dev)" >/dev/null
drift_check dev kv-deleted 2
check "the drift check names dev's registry secret" \
  jq -e '[.stacks[0].changes[] | select(.drifted and .name == "registry-vault-secret")] | length == 1' "$WORK/reports/kv-deleted/drift.json"
if run_pulumi up-recreate.log up --refresh --yes --skip-preview --stack dev; then ok "up after the deletion"
else bad "up after the deletion"; tail -n 40 "$WORK/up-recreate.log" >&2; fi
check "KV holds dev's .dockerconfigjson again" dockerconfig_is dev "$GOOD"
check "still owned by dev" owner_is dev "$ORG_PROJECT/dev"
drift_check dev repaired 0

step "destroy dev; prod is untouched"
PROD_BEFORE=$(dockerconfig_of prod)
if run_pulumi destroy-dev.log destroy --yes --skip-preview --stack dev; then ok "pulumi destroy --stack dev"
else bad "pulumi destroy --stack dev"; tail -n 40 "$WORK/destroy-dev.log" >&2; fi
check "dev's registry secret is gone" bash -c "! curl -fsS -H 'X-Vault-Token: $VAULT_TOKEN' $VAULT_ADDR/v1/secret/metadata/$(reg_path dev)"
check "dev's token reviewer is gone" bash -c "! kubectl get sa vault-token-reviewer-dev -n kube-system"
check "prod's registry secret is unchanged" dockerconfig_is prod "$PROD_BEFORE"
check "dev's group variable CI_PUSH_TOKEN is gone" bash -c "$(declare -f gl_variables); GL_URL=$GL_URL GL_GROUP='$GL_GROUP'; gl_variables | jq -e '[.[] | select(.key == \"CI_PUSH_TOKEN\")] | length == 0'"
check "prod's token reviewer is still there" kubectl get sa vault-token-reviewer-prod -n kube-system
check "real login after destroy dev: prod's default SA reads prod's registry secret" login_reads "$PREFIX-prod" "$PREFIX-prod-default" kubernetes-prod prod dev
drift_check prod prod-after-destroy-dev 0
if run_pulumi preview-prod-2.log preview --expect-no-changes --diff --stack prod; then ok "prod: nothing to change after destroy dev"
else bad "prod: preview after destroy dev"; tail -n 40 "$WORK/preview-prod-2.log" >&2; fi

step "no secret in clear"
for s in dev prod; do pulumi stack export --stack "$s" >"$WORK/state-$s.json" 2>/dev/null || true; done
pulumi stack output --json --show-secrets=false --stack prod >"$WORK/outputs-prod.json" 2>/dev/null || true
check "prod's state holds the kubeconfig as a secret ciphertext" \
  jq -e '[.deployment.resources[] | select(.type == "pulumi:providers:kubernetes") | .inputs.kubeconfig.ciphertext] | length == 1' "$WORK/state-prod.json"
no_clear() { # files...: no admin bearer token, Vault root token, API token, CI push token or deploy token value
  local v f
  { printf '%s\n' "$E2E_KUBE_TOKEN" "$VAULT_TOKEN" "$GL_API_TOKEN" "$CI_PUSH_TOKEN"; gl_tokens | jq -r '.[].token'; gl_access_tokens | jq -r '.[].token'; } >"$WORK/values"
  (( $(grep -c . "$WORK/values") >= 8 )) || { echo "too few secret values collected" >&2; return 1; }
  while read -r v; do
    [[ -n "$v" ]] || continue
    for f in "$@"; do grep -qF -- "$v" "$f" && { echo "a secret in clear in $f" >&2; return 1; }; done
  done <"$WORK/values"
  return 0
}
check "no token in clear in the states, outputs or any log" no_clear "$WORK"/state-*.json "$WORK"/outputs-*.json "$WORK"/*.log

step "destroy prod"
if run_pulumi destroy-prod.log destroy --yes --skip-preview --stack prod; then ok "pulumi destroy --stack prod"
else bad "pulumi destroy --stack prod"; tail -n 40 "$WORK/destroy-prod.log" >&2; fi
check "prod's group access token is revoked and CI_PUSH_TOKEN_PROD deleted" \
  bash -c "$(declare -f gl_access_tokens gat_active gl_variables); GL_URL='$GL_URL' GL_GROUP='$GL_GROUP' GAT_NAME='$GAT_NAME'; [[ \$(gat_active | jq length) == 0 ]] && gl_variables | jq -e '[.[] | select(.key == \"CI_PUSH_TOKEN_PROD\")] | length == 0'"
for s in dev prod; do pulumi stack rm --yes --force --stack "$s" >/dev/null 2>&1 || true; done

(( FAIL == 0 ))
