#!/usr/bin/env bash
# End-to-end: the read-only drift check, the merge-request preview report, the deploy token
# rotation job, and Pulumi secrets kept in OpenBao (transit) instead of a passphrase.
#   1. a transit key in OpenBao; the stack is created with --secrets-provider hashivault://<key> and
#      no passphrase in the environment
#   2. pulumi up; npm run drift exits 0 and the exported state is byte-identical before and after
#   3. eight drifts made behind Pulumi's back, one at a time: each is reported by name with exit 2
#      (state untouched), `pulumi up --refresh` restores it, the check is clean again
#   4. clock moved into the deploy tokens' rotation window: drift exits 3; rotate with a pending
#      unrelated change exits 4 and applies nothing; rotate alone rotates (new tokens in GitLab and
#      Vault, old ones revoked); the check is clean again; an up that fails before creating the
#      RegistrySecretSync resources (vso.waitForSync, no operator): drift exits 2 with both creates
#      as not-applied findings, and 0 after a successful up
#   5. failures say which system: a bad Vault token, an unreachable Vault, an unreachable API server
#      (the stack reaches it through a relay that is stopped) (exit 1)
#   6. preview-report for a change that replaces resources: replacements first with the input that
#      forces them, the GitLab widget counts, one note on the merge request after two --post runs
#   7. no secret in clear in the state, the reports or the logs; pulumi destroy
# Prints "drift: N passed, N failed". Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=drift
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start

STACK=e2e-drift
PREFIX=dr
E2E_STACKS=("$STACK")
REG_PATH=dr/platform/stacks/$STACK/registry
REPORTS=$WORK/reports
ops() { (cd "$WORK" && node --import tsx "$ROOT/ops/$1.ts" "${@:2}"); }
state_sha() { pulumi stack export --stack "$STACK" | sha256sum | cut -d' ' -f1; }

step "Pulumi secrets in OpenBao: transit key, stack without a passphrase"
vcurl -X POST "$VAULT_ADDR/v1/sys/mounts/transit" -d '{"type":"transit"}' >/dev/null
vcurl -X POST "$VAULT_ADDR/v1/transit/keys/pulumi-e2e" -d '{}' >/dev/null
export VAULT_SERVER_URL=$VAULT_ADDR VAULT_SERVER_TOKEN=$VAULT_TOKEN
unset PULUMI_CONFIG_PASSPHRASE
pulumi stack init "$STACK" --secrets-provider hashivault://pulumi-e2e --non-interactive >/dev/null
check "Pulumi.$STACK.yaml names the hashivault secrets provider" grep -q 'secretsprovider: hashivault://pulumi-e2e' "$WORK/Pulumi.$STACK.yaml"
cfg() { stack_cfg "$STACK" "$@"; }
# The stack reaches the API server through a TCP relay on 127.0.0.1, so that the relay can be
# stopped to make the cluster unreachable (and started again) while the API server keeps running.
KUBE_PORT=${E2E_KUBE_SERVER##*:}
RELAY_PORT_FILE=$WORK/relay.port
start_relay() { # [port]: a TCP relay to the API server; its port in RELAY_PORT_FILE
  rm -f "$RELAY_PORT_FILE"
  timeout 3600 node -e '
    const net = require("net"); const [target, port, file] = process.argv.slice(1);
    const srv = net.createServer((c) => { const s = net.connect(+target, "127.0.0.1"); c.pipe(s).pipe(c);
      const end = () => { c.destroy(); s.destroy(); }; c.on("error", end); s.on("error", end); });
    srv.listen(+port || 0, "127.0.0.1", () => require("fs").writeFileSync(file, String(srv.address().port)));
  ' "$KUBE_PORT" "${1:-0}" "$RELAY_PORT_FILE" </dev/null >/dev/null 2>&1 &
  RELAY_PID=$!
  for _ in $(seq 1 50); do [[ -s "$RELAY_PORT_FILE" ]] && return 0; sleep 0.1; done
  echo "[$NAME] the TCP relay did not start" >&2; return 1
}
start_relay
RELAY_PORT=$(cat "$RELAY_PORT_FILE")
sed "s#server: https://127.0.0.1:$KUBE_PORT#server: https://127.0.0.1:$RELAY_PORT#" "$KUBECONFIG" >"$WORK/relay-kubeconfig"
cfg kubernetes:kubeconfig "$WORK/relay-kubeconfig"
cfg vault:address "$VAULT_ADDR"
cfg --secret vault:token "$VAULT_TOKEN"
cfg gitops-platform:namespacePrefix "$PREFIX"
cfg gitops-platform:environments '{"dev":{"serviceAccounts":["default"]},"staging":{}}'
cfg gitops-platform:services '[{"name":"api-gateway"}]'
cfg gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:"dr-registry",expiresInDays:30,rotateBeforeDays:7}}')"
cfg --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
cfg --path --secret gitops-platform:registry.password dr-static-registry-password
cfg --path gitops-platform:registry.server registry.example.com
cfg --path gitops-platform:registry.username dr-user
cfg gitops-platform:argocd '{"enabled":false}'
cfg gitops-platform:vso '{"enabled":false,"waitForSync":false}'
cfg gitops-platform:imageUpdater '{"enabled":false}'
cfg gitops-platform:cloudflare '{"enabled":false}'
cfg gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:"dr",kubernetesHost:$host,kubernetesCaCert:$ca}')"
check "the stack file carries the hashivault-encrypted data key and secure config values" \
  bash -c "grep -q '^encryptedkey: ' '$WORK/Pulumi.$STACK.yaml' && grep -A1 'vault:token' '$WORK/Pulumi.$STACK.yaml' | grep -q 'secure: '"

step "pulumi up"
if run_pulumi up.log up --yes --skip-preview --stack "$STACK"; then ok "pulumi up"; else bad "pulumi up"; tail -n 40 "$WORK/up.log" >&2; exit 1; fi
check "state: secrets provider is hashivault://pulumi-e2e" \
  bash -c "pulumi stack export --stack '$STACK' | jq -e '.deployment.secrets_providers.state.url == \"hashivault://pulumi-e2e\"'"
check "without the OpenBao token the state's secrets cannot be read" \
  bash -c "! env -u VAULT_SERVER_TOKEN VAULT_SERVER_TOKEN=invalid pulumi stack output --show-secrets --stack '$STACK' >/dev/null 2>&1"

drift() { drift_check "$STACK" "$1" "$2"; }
# reported LABEL RESOURCE ACTION [PATH]: drift.json names the resource as drifted with that action (and path)
reported() {
  jq -e --arg n "$2" --arg a "$3" --arg p "${4:-}" \
    '[.stacks[0].changes[] | select(.drifted and .name == $n and .action == $a and ($p == "" or (.paths | index($p))))] | length == 1' \
    "$REPORTS/$1/drift.json" >/dev/null
}
# restore LABEL: pulumi up --refresh puts it back, then the check is clean
restore() {
  if run_pulumi "up-$1.log" up --yes --skip-preview --refresh --stack "$STACK"; then ok "pulumi up --refresh restores ($1)"
  else bad "pulumi up --refresh ($1)"; grep -iE "error" "$WORK/up-$1.log" | head -n 20 >&2; tail -n 20 "$WORK/up-$1.log" >&2; fi
  drift "$1-restored" 0
}

step "drift check on the freshly applied stack"
drift fresh 0
check "drift.json: schema, stack clean, no change" \
  jq -e '.schema == "gitops-platform/drift/v1" and .exitCode == 0 and .stacks[0].status == "clean" and (.stacks[0].changes | length) == 0 and .stacks[0].state.unchanged' "$REPORTS/fresh/drift.json"
echo "--- drift table (fresh)" >&2; cat "$WORK/drift-fresh.log" >&2

step "drift 1/8: a Vault policy widened in OpenBao"
P=$(vget sys/policy/dr-dev-read | jq -r .rules)
vcurl -X PUT "$VAULT_ADDR/v1/sys/policy/dr-dev-read" -d "$(jq -cn --arg p "$P
path \"secret/data/*\" { capabilities = [\"read\"] }" '{policy:$p}')" >/dev/null
drift policy 2
check "reported: env-dev-read, update of policy" reported policy env-dev-read update policy
echo "--- drift table (policy widened)" >&2; cat "$WORK/drift-policy.log" >&2
restore policy
check "OpenBao's policy is the program's again (no '*')" bash -c "$(declare -f vget); ! vget sys/policy/dr-dev-read | jq -r .rules | grep -q 'secret/data/\*'"

step "drift 2/8: a Kubernetes auth role deleted"
vcurl -X DELETE "$VAULT_ADDR/v1/auth/kubernetes/role/dr-staging-default" >/dev/null
drift role 2
check "reported: env-staging-role, create" reported role env-staging-role create
restore role
check "the role exists again" vget auth/kubernetes/role/dr-staging-default

step "drift 3/8: the Kubernetes auth config changed"
CA=$(vget auth/kubernetes/config | jq -r .data.kubernetes_ca_cert)
vcurl -X POST "$VAULT_ADDR/v1/auth/kubernetes/config" \
  -d "$(jq -cn --arg ca "$CA" '{kubernetes_host:"https://127.0.0.1:1",kubernetes_ca_cert:$ca,disable_iss_validation:true}')" >/dev/null
drift authconfig 2
check "reported: vault-kubernetes-auth-config, update of kubernetesHost" reported authconfig vault-kubernetes-auth-config update kubernetesHost
restore authconfig
check "a ServiceAccount logs in again after the restore" sa_login "$PREFIX-dev" default "$PREFIX-dev-default"

step "drift 4/8: a VaultAuth deleted"
kubectl delete vaultauth vault-auth -n "$PREFIX-staging" >/dev/null
drift vaultauth 2
check "reported: env-staging-vault-auth, create" reported vaultauth env-staging-vault-auth create
restore vaultauth
check "VaultAuth vault-auth exists again" kubectl get vaultauth vault-auth -n "$PREFIX-staging"

step "drift 5/8: regsecret removed from a ServiceAccount's imagePullSecrets"
kubectl patch sa default -n "$PREFIX-dev" --type=json -p '[{"op":"remove","path":"/imagePullSecrets"}]' >/dev/null
drift pullsecret 2
check "reported: env-dev-sa-default-pull-secret, update" reported pullsecret env-dev-sa-default-pull-secret update
restore pullsecret
check "the ServiceAccount lists regsecret again" \
  bash -c "kubectl get sa default -n $PREFIX-dev -o json | jq -e '[.imagePullSecrets[]?.name] == [\"regsecret\"]'"

step "drift 6/8: a label changed on a namespace"
kubectl label ns "$PREFIX-dev" gitops-platform/environment=hacked --overwrite >/dev/null
drift label 2
check "reported: env-dev-namespace, update of metadata.labels.gitops-platform/environment" \
  reported label env-dev-namespace update metadata.labels.gitops-platform/environment
restore label
check "the label is the program's again" \
  bash -c "kubectl get ns $PREFIX-dev -o json | jq -e '.metadata.labels[\"gitops-platform/environment\"] == \"dev\"'"

step "drift 7/8: the registry deploy token revoked in GitLab"
TOKEN_ID=$(gl_active read_registry | jq -r .id)
curl -fsS -X POST "$GL_URL/_double/revoke?group=$(jq -rn --arg g "$GL_GROUP" '$g|@uri')&id=$TOKEN_ID" >/dev/null
drift token 2
check "reported: registry-deploy-token, create (deleted outside Pulumi)" reported token registry-deploy-token create
restore token
check "one active read_registry token again, a new one" \
  bash -c "$(declare -f gl_tokens gl_active); GL_URL=$GL_URL GL_GROUP='$GL_GROUP'; t=\$(gl_active read_registry); [[ \$(wc -l <<<\"\$t\") == 1 && \$(jq -r .id <<<\"\$t\") != $TOKEN_ID ]]"

step "drift 8/8: the registry secret overwritten in KV"
vcurl -X POST "$VAULT_ADDR/v1/secret/data/$REG_PATH" -d '{"data":{".dockerconfigjson":"{}"}}' >/dev/null
drift kv 2
check "reported: registry-vault-secret, update" reported kv registry-vault-secret update
restore kv
check "KV holds the program's .dockerconfigjson again" \
  bash -c "$(declare -f vget); vget secret/data/$REG_PATH | jq -e '.data.data[\".dockerconfigjson\"] | fromjson | .auths | has(\"registry.gitlab.example.com\")'"

step "rotation: the clock moved into the deploy tokens' rotation window"
EXP=$(pulumi stack output --stack "$STACK" registryTokenExpiresAt)
check "stack outputs registryTokenExpiresAt (ISO 8601, 30 days ahead)" \
  bash -c "[[ '$EXP' == $(date -u -d '+30 days' +%Y-%m-%d)T* || '$EXP' == $(date -u -d '+31 days' +%Y-%m-%d)T* ]]"
export GITOPS_PLATFORM_CLOCK
GITOPS_PLATFORM_CLOCK=$(date -u -d "$EXP - 3 days" +%Y-%m-%dT%H:%M:%SZ)
drift window 3
check "drift.json: the token is rotation-due, the line names the rotate job" \
  jq -e --arg s "$STACK" '.stacks[0].status == "token-expiry" and (.stacks[0].tokens[0] | .output == "registryTokenExpiresAt" and .status == "rotation-due" and (.rotatedBy | contains("npm run rotate -- --stack " + $s)))' "$REPORTS/window/drift.json"
OLD_REG=$(gl_active read_registry | jq -r .id)
# a pending unrelated change: the rotation must stop and apply nothing
cfg gitops-platform:services '[{"name":"api-gateway"},{"name":"billing"}]'
BEFORE=$(state_sha)
set +e; ops rotate --stack "$STACK" --out "$REPORTS/rotate-blocked" >"$WORK/rotate-blocked.log" 2>&1; RC=$?; set -e
if [[ $RC == 4 ]]; then ok "rotate with another pending change exits 4"; else bad "rotate with another pending change exits $RC"; cat "$WORK/rotate-blocked.log" >&2; fi
check "…and applied nothing (state unchanged, same token in GitLab)" \
  bash -c "[[ '$BEFORE' == '$(state_sha)' && '$(gl_active read_registry | jq -r .id)' == '$OLD_REG' ]]"
check "…and says what else is pending" grep -q "Rotation of stack \`$STACK\` stopped" "$REPORTS/rotate-blocked/rotate-$STACK.md"
cfg gitops-platform:services '[{"name":"api-gateway"}]'
set +e; ops rotate --stack "$STACK" --out "$REPORTS/rotate" >"$WORK/rotate.log" 2>&1; RC=$?; set -e
if [[ $RC == 0 ]]; then ok "rotate exits 0"; else bad "rotate exits $RC"; cat "$WORK/rotate.log" >&2; fi
NEW_REG=$(gl_active read_registry)
check "a new read_registry token replaced the old one in GitLab (old revoked)" \
  bash -c "[[ \$(wc -l <<<'$NEW_REG') == 1 && '$(jq -r .id <<<"$NEW_REG")' != '$OLD_REG' ]]"
vault_has() { local want; want=$(jq -rj '.username + ":" + .token' <<<"$1" | base64 -w0)
  vget "secret/data/$REG_PATH" | jq -e --arg a "$want" '.data.data[".dockerconfigjson"] | fromjson | .auths["registry.gitlab.example.com"].auth == $a'; }
check "Vault's registry secret carries the new token" vault_has "$NEW_REG"
drift rotated 0
unset GITOPS_PLATFORM_CLOCK

step "an incomplete deploy: the up fails before creating the RegistrySecretSync resources"
# vso.waitForSync on, but no operator runs here: each namespace's RegistrySecretSync times out, the
# up fails and they are never created. The drift check must not call that clean.
cfg gitops-platform:vso '{"enabled":false,"waitForSync":true,"syncTimeout":"5s"}'
if run_pulumi up-nosync.log up --yes --skip-preview --stack "$STACK"; then bad "up with vso.waitForSync and no operator should fail"
else ok "up fails: no operator synced regsecret within 5s"; grep -m1 -o "has not synced version [^(]*" "$WORK/up-nosync.log" >&2 || true; fi
drift incomplete 2
check "drift.json: both RegistrySecretSync creates are not-applied findings (not drift), the stack says the last update failed" \
  jq -e '.stacks[0].status == "drift" and (.stacks[0].incomplete | test("last pulumi update .* failed"))
    and ([.stacks[0].changes[] | select(.type == "pulumi-nodejs:dynamic/kubernetes:RegistrySecretSync" and .action == "create" and .incomplete and (.drifted | not))] | length == 2)' \
  "$REPORTS/incomplete/drift.json"
echo "--- drift table (incomplete deploy)" >&2; cat "$WORK/drift-incomplete.log" >&2
cfg gitops-platform:vso '{"enabled":false,"waitForSync":false}'
if run_pulumi up-nosync-off.log up --yes --skip-preview --stack "$STACK"; then ok "up with vso.waitForSync off again succeeds"
else bad "up with vso.waitForSync off"; tail -n 30 "$WORK/up-nosync-off.log" >&2; fi
drift complete-again 0

step "failures name the system and what to fix"
cfg --secret vault:token "hvs.not-a-valid-token-e2e"
drift badtoken 1
check "a rejected Vault token: error of kind vault-credentials, the fix names vault:token" \
  jq -e '.stacks[0].error.kind == "vault-credentials" and (.stacks[0].error.fix | contains("vault:token"))' "$REPORTS/badtoken/drift.json"
check "…and the bad token is not echoed" bash -c "! grep -rq 'hvs.not-a-valid-token-e2e' '$REPORTS/badtoken' '$WORK/drift-badtoken.log'"
cfg --secret vault:token "$VAULT_TOKEN"
cfg vault:address "http://127.0.0.1:2"
drift novault 1
check "an unreachable Vault: error of kind vault, the fix names vault:address" \
  jq -e '.stacks[0].error.kind == "vault" and (.stacks[0].error.fix | contains("vault:address"))' "$REPORTS/novault/drift.json"
cat "$WORK/drift-novault.log" >&2
cfg vault:address "$VAULT_ADDR"
drift reconnected 0
kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true
drift nocluster 1
check "an unreachable API server: error of kind cluster, the fix names kubernetes:kubeconfig" \
  jq -e '.stacks[0].error.kind == "cluster" and (.stacks[0].error.fix | contains("kubernetes:kubeconfig"))' "$REPORTS/nocluster/drift.json"
cat "$WORK/drift-nocluster.log" >&2
start_relay "$RELAY_PORT"
drift cluster-back 0

step "merge-request preview report: a change that replaces and deletes resources"
cfg gitops-platform:environments '{"dev":{"serviceAccounts":["default"],"namespace":"dr-dev2"}}'
export CI_API_V4_URL=$GL_URL/api/v4 CI_PROJECT_ID=42 CI_MERGE_REQUEST_IID=7 GITLAB_NOTE_TOKEN=$GL_API_TOKEN
for run in 1 2; do
  set +e; ops preview-report --stack "$STACK" --post --out "$REPORTS/preview" >"$WORK/preview-$run.log" 2>&1; RC=$?; set -e
  if [[ $RC == 0 ]]; then ok "preview-report --post run $run exits 0"; else bad "preview-report run $run exits $RC"; cat "$WORK/preview-$run.log" >&2; fi
done
MD=$REPORTS/preview/preview-$STACK.md
echo "--- preview report" >&2; cat "$MD" >&2
first_replace_line() { grep -n '^| replace |' "$MD" | head -1 | cut -d: -f1; }
check "the replacement of the namespace is listed first, with the input that forces it" \
  bash -c "grep -n '^| replace \| \`env-dev-namespace\` \| \`kubernetes:core/v1:Namespace\` \| forced by \`metadata.name\`' '$MD' | grep -q '^$(first_replace_line):'"
check "the staging environment's deletion is listed among replacements/deletions" grep -q '^| delete | `env-staging-namespace`' "$MD"
check "GitLab widget JSON: replace counted as create and delete" \
  jq -e '.create >= 1 and .delete >= 1 and (keys == ["create","delete","update"])' "$REPORTS/preview/plan-$STACK.json"
check "one note on the merge request after two --post runs, carrying the report" \
  bash -c "curl -fsS '$GL_URL/_double/notes?project=42&mr=7' | jq -e 'length == 1 and (.[0].body | contains(\"gitops-platform:preview:$STACK\") and contains(\"env-dev-namespace\"))'"
unset CI_API_V4_URL CI_PROJECT_ID CI_MERGE_REQUEST_IID GITLAB_NOTE_TOKEN
cfg gitops-platform:environments '{"dev":{"serviceAccounts":["default"]},"staging":{}}'

step "no secret in clear in the state, the reports, the logs"
pulumi stack export --stack "$STACK" >"$WORK/state.json"
scan_clear() { # file or dir: none of the secrets appears
  local s; for s in "$VAULT_TOKEN" "$GL_API_TOKEN" dr-static-registry-password $(gl_tokens | jq -r '.[].token'); do
    grep -rqF -- "$s" "$@" && { echo "found ${s:0:6}… in $*" >&2; return 1; }
  done; return 0; }
check "state, reports and every log of the run: no Vault token, GitLab token, deploy token or registry password" \
  scan_clear "$WORK/state.json" "$REPORTS" "$WORK"/*.log

step "pulumi destroy"
if run_pulumi destroy.log destroy --yes --skip-preview --stack "$STACK"; then ok "pulumi destroy"; else bad "pulumi destroy"; tail -n 30 "$WORK/destroy.log" >&2; fi
E2E_STACKS=()
kill "$RELAY_PID" 2>/dev/null || true
exit 0
