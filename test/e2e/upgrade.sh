#!/usr/bin/env bash
# End-to-end: a stack made by the last release before per-stack registry secrets (commit
# UPGRADE_FROM, default bc473bf) upgrades to this checkout as docs/ownership.md says:
# `npm run upgrade:retain-legacy -- --stack <stack>`, then one `pulumi up`. Real OpenBao and kube-apiserver.
#   - the deploy tokens are kept (same GitLab ids, no new token);
#   - the shared legacy registry secret and policy stay in Vault for the other stacks;
#   - the stack's own registry secret holds the same credentials, owned by the stack;
#   - the Argo CD repo token moved under its component through its alias (same id);
#   - the default ServiceAccount still lists regsecret; a real login reads the new path;
#   - the next preview is clean.
# Skipped (saying why) when the old commit is not in this clone's history.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=upgrade
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
FROM=${UPGRADE_FROM:-bc473bf}
if ! git -C "$ROOT" cat-file -e "$FROM^{commit}" 2>/dev/null; then
  echo "[$NAME] SKIP - commit $FROM is not in this clone's history (shallow clone?)" >&2
  echo "$NAME: 0 passed, 0 failed, 1 skipped"
  exit 0
fi
e2e_start

PREFIX=e2e STACK=dev
E2E_STACKS=("$STACK")
OLD="$WORK/old"
mkdir "$OLD"
git -C "$ROOT" archive "$FROM" Pulumi.yaml stacks components package.json tsconfig.json | tar -x -C "$OLD"
ln -s "$ROOT/node_modules" "$OLD/node_modules"

cd "$OLD"
pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
stack_cfg "$STACK" kubernetes:kubeconfig "$KUBECONFIG"
stack_cfg "$STACK" vault:address "$VAULT_ADDR"
stack_cfg "$STACK" --secret vault:token "$VAULT_TOKEN"
stack_cfg "$STACK" gitops-platform:namespacePrefix "$PREFIX"
stack_cfg "$STACK" gitops-platform:environments '{"dev":{}}'
stack_cfg "$STACK" gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:"upgrade",expiresInDays:30,rotateBeforeDays:7}}')"
stack_cfg "$STACK" --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
stack_cfg "$STACK" gitops-platform:argocd '{"enabled":false}'
stack_cfg "$STACK" gitops-platform:vso '{"enabled":false}'
stack_cfg "$STACK" gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" --arg prefix "$PREFIX" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:$prefix,kubernetesHost:$host,kubernetesCaCert:$ca}')"

step "up with the old release ($FROM)"
if pulumi up --yes --skip-preview --non-interactive --stack "$STACK" >"$WORK/up-old.log" 2>&1; then ok "old release: pulumi up"
else bad "old release: pulumi up"; tail -n 40 "$WORK/up-old.log" >&2; exit 1; fi
LEGACY=$(vget "secret/data/$PREFIX/platform/registry" | jq -r '.data.data[".dockerconfigjson"]')
TOKENS_BEFORE=$(gl_tokens | jq -c '[.[] | select(.revoked | not) | .id] | sort')

step "the documented upgrade: npm run upgrade:retain-legacy, one up"
cp "$OLD/Pulumi.$STACK.yaml" "$WORK/"
cd "$WORK"
if bash "$ROOT/scripts/with-node.sh" node --import tsx "$ROOT/ops/retain-legacy.ts" --stack "$STACK" >"$WORK/retain.log" 2>&1 \
   && [[ $(grep -c '^retainOnDelete: ' "$WORK/retain.log") == 2 ]]; then
  ok "upgrade:retain-legacy marked the shared secret and policy"
else
  bad "upgrade:retain-legacy"; cat "$WORK/retain.log" >&2
fi
# No operator runs here (test/e2e/operators.sh covers the wait for it); the old release did not know the key.
stack_cfg "$STACK" gitops-platform:vso '{"enabled":false,"waitForSync":false}'
if run_pulumi preview-upgrade.log preview --diff --stack "$STACK"; then ok "preview of the upgrade"
else bad "preview of the upgrade"; tail -n 40 "$WORK/preview-upgrade.log" >&2; fi
check "the preview replaces no deploy token" bash -c "! grep -E 'GroupDeployToken.*(replace|create|delete)' '$WORK/preview-upgrade.log'"
if run_pulumi up-upgrade.log up --yes --skip-preview --stack "$STACK"; then ok "new release: pulumi up"
else bad "new release: pulumi up"; tail -n 60 "$WORK/up-upgrade.log" >&2; fi

step "checks"
check "the same deploy tokens are active, no new one" test "$(gl_tokens | jq -c '[.[] | select(.revoked | not) | .id] | sort')" = "$TOKENS_BEFORE"
check "the legacy shared registry secret is still in Vault, unchanged" \
  test "$(vget "secret/data/$PREFIX/platform/registry" | jq -r '.data.data[".dockerconfigjson"]')" = "$LEGACY"
check "the legacy policy registry-read is still in Vault" vget sys/policy/registry-read
check "the stack's own registry secret holds the same credentials" \
  test "$(vget "secret/data/$PREFIX/platform/stacks/$STACK/registry" | jq -r '.data.data[".dockerconfigjson"]')" = "$LEGACY"
check "owned by the stack" test "$(vget "secret/metadata/$PREFIX/platform/stacks/$STACK/registry" | jq -r '.data.custom_metadata["gitops-platform-owner"]')" = "organization/gitops-platform/$STACK"
check "the default ServiceAccount still lists regsecret" \
  bash -c "kubectl get sa default -n $PREFIX-dev -o json | jq -e '[.imagePullSecrets[]?.name] == [\"regsecret\"]'"
reads_new_path() {
  local t; t=$(sa_login "$PREFIX-dev" default "$PREFIX-dev-default") || return 1
  curl -fsS -H "X-Vault-Token: $t" "$VAULT_ADDR/v1/secret/data/$PREFIX/platform/stacks/$STACK/registry" >/dev/null
}
check "a real login of $PREFIX-dev/default reads the new path" reads_new_path
repo_token_moved() {
  pulumi stack export --stack "$STACK" | jq -e '[.deployment.resources[] | select(.type == "pulumi-nodejs:dynamic/gitlab:GroupDeployToken")
    | select(.urn | test("ArgoCd\\$pulumi-nodejs:dynamic/gitlab:GroupDeployToken::argocd-repo-token$"))] | length == 1'
}
check "the Argo CD repo token now lives under its component (alias)" repo_token_moved
if run_pulumi preview-after.log preview --expect-no-changes --diff --stack "$STACK"; then ok "the next preview is clean"
else bad "preview after the upgrade"; tail -n 40 "$WORK/preview-after.log" >&2; fi

step "destroy"
if run_pulumi destroy.log destroy --yes --skip-preview --stack "$STACK"; then ok "pulumi destroy"
else bad "pulumi destroy"; tail -n 40 "$WORK/destroy.log" >&2; fi
pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || true

(( FAIL == 0 ))
