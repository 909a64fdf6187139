#!/usr/bin/env bash
# End-to-end faults (issue 10 point 4): the real program, one stack with 2 environments, against a
# server that fails in the middle of the work. One cluster for all three faults; OpenBao runs as a
# real server with file storage (E2E_BAO_STORAGE=file in scripts/e2e/cluster.sh), not in dev mode,
# so its data survives a restart (it comes back sealed and is unsealed again).
#   1. OpenBao stopped (SIGTERM) while `pulumi up` creates the stack (right after the first Vault
#      resource is created), started again a few seconds later with its data, unsealed
#   2. the stack destroyed, then the API server killed (SIGKILL; its graceful shutdown takes longer
#      than the whole up) while `pulumi up` creates it again (right after the first Kubernetes
#      object is created), started again on the same port with etcd's data
#   After each: the faulty up ended (finished, or failed without pending operations in the state);
#   the next `pulumi up` converges; nothing duplicated (exactly one active read_registry and one
#   read_repository deploy token in the GitLab double; Vault's policies and Kubernetes auth roles
#   are exactly the ones in the state, no second name); nothing lost (every Kubernetes object of the
#   state exists, the registry secret in KV holds the current token, a real ServiceAccount token
#   logs in to its role); `pulumi preview --expect-no-changes` is clean; the drift check exits 0
#   and leaves the state byte-identical; no token value in clear in any log or the state.
#   3. the GitLab double answering 500s (POST /_double/faults): a) the registry token revoked out of
#      band, then 3 API calls answered 500 and the next create answered 500 after GitLab created the
#      token (a lost answer): `pulumi up --refresh` retries, converges, the token whose value was
#      lost is revoked (exactly one active token per scope); b) 500s that never recover: `pulumi up`
#      fails with an error naming GitLab and the request URL, without a token value; once GitLab
#      recovers, `up` converges. Same checks after each.
# Prints "faults: N passed, N failed" at the end. Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=faults
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
export E2E_BAO_STORAGE=file
e2e_start

STACK=faults
PREFIX=flt
DT_NAME=e2e-faults
E2E_STACKS=("$STACK")
REG_PATH=$PREFIX/platform/stacks/$STACK/registry
# how long a stopped server stays down while `up` runs (then it is started again, up may still run)
DOWN_SECONDS=${E2E_FAULT_DOWN_SECONDS:-3}
# a faulty up that has not ended by then is a failure (a hang)
UP_LIMIT=${E2E_FAULT_UP_LIMIT:-300}

pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
stack_cfg "$STACK" kubernetes:kubeconfig "$KUBECONFIG"
stack_cfg "$STACK" vault:address "$VAULT_ADDR"
stack_cfg "$STACK" --secret vault:token "$VAULT_TOKEN"
stack_cfg "$STACK" gitops-platform:namespacePrefix "$PREFIX"
stack_cfg "$STACK" gitops-platform:environments '{"dev":{"serviceAccounts":["default"]},"staging":{}}'
stack_cfg "$STACK" gitops-platform:services '[{"name":"api-gateway"}]'
stack_cfg "$STACK" gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" --arg name "$DT_NAME" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:$name,expiresInDays:30,rotateBeforeDays:7}}')"
stack_cfg "$STACK" --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
stack_cfg "$STACK" gitops-platform:argocd '{"enabled":false}'
# no operator runs here, so nothing waits for it to sync regsecret (as in smoke.sh)
stack_cfg "$STACK" gitops-platform:vso '{"enabled":false,"waitForSync":false}'
stack_cfg "$STACK" gitops-platform:imageUpdater '{"enabled":false}'
stack_cfg "$STACK" gitops-platform:cloudflare '{"enabled":false}'
# cluster.sh enabled KV v2 at secret/ on the file-storage OpenBao, as the dev server has it
stack_cfg "$STACK" gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" --arg p "$PREFIX" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:$p,kubernetesHost:$host,kubernetesCaCert:$ca}')"

GROUP_Q=$(jq -rn --arg g "$GL_GROUP" '$g|@uri')
VALUES="$WORK/gitlab-double/values"
: >"$VALUES"
no_leak() { # files...: no deploy-token value (every one the double issued, deleted ones too), no API or root token
  local v f values
  values=$(curl -fsS "$GL_URL/_double/issued-values" | jq -r '.[]') || { echo "cannot read the issued values from the GitLab double" >&2; return 1; }
  printf '%s\n' $values "$GL_API_TOKEN" "$GL_API_TOKEN2" "$VAULT_TOKEN" >>"$VALUES"
  sort -u -o "$VALUES" "$VALUES"
  (( $(wc -l <"$VALUES") >= 5 )) || { echo "too few secret values to look for" >&2; return 1; }
  while read -r v; do
    for f in "$@"; do
      if grep -qF -- "$v" "$f"; then # where, with the value masked
        echo "leak of a secret in $f:" >&2; grep -nF -- "$v" "$f" | awk -v v="$v" '{gsub(v, "[LEAKED]"); print substr($0, 1, 300)}' >&2
        return 1
      fi
    done
  done <"$VALUES"
  return 0
}
state() { pulumi stack export --stack "$STACK"; }
kv_auths() { vget "secret/data/$REG_PATH" | jq -c '.data.data[".dockerconfigjson"] | fromjson | .auths'; }
vault_has_token() { # token JSON from the double: KV carries base64(username:token) for registry.<host>
  local want; want=$(jq -rj '.username + ":" + .token' <<<"$1" | base64 -w0)
  kv_auths | jq -e --arg a "$want" '.["registry.gitlab.example.com"].auth == $a' >/dev/null
}
one_active() { # scope name: exactly one active token with this scope, and it has this name
  gl_active "$1" | jq -se --arg n "$2" 'length == 1 and .[0].name == $n' >/dev/null
}
# Vault holds exactly the policies / roles the state names (a retried create never left a second one)
vault_policies_match_state() {
  local live want
  live=$(vget "sys/policies/acl?list=true" | jq -c '[.data.keys[] | select(. != "default" and . != "root")] | sort')
  want=$(state | jq -c '[.deployment.resources[] | select(.type == "vault:index/policy:Policy") | .outputs.name] | sort')
  [[ "$live" == "$want" && "$want" != "[]" ]] || { echo "Vault policies $live, state $want" >&2; return 1; }
}
vault_roles_match_state() {
  local live want
  live=$(vget "auth/kubernetes/role?list=true" | jq -c '.data.keys | sort')
  want=$(state | jq -c '[.deployment.resources[] | select(.type == "vault:kubernetes/authBackendRole:AuthBackendRole") | .outputs.roleName] | sort')
  [[ "$live" == "$want" && "$want" != "[]" ]] || { echo "Vault roles $live, state $want" >&2; return 1; }
}
# every Kubernetes object of the state exists in the cluster
k8s_objects_exist() {
  local line n=0 kind name ns api
  while IFS=$'\t' read -r api kind name ns; do
    n=$((n + 1))
    if [[ -n "$ns" ]]; then kubectl get "$kind.${api%%/*}" "$name" -n "$ns" >/dev/null 2>&1 || kubectl get "$kind" "$name" -n "$ns" >/dev/null 2>&1
    else kubectl get "$kind.${api%%/*}" "$name" >/dev/null 2>&1 || kubectl get "$kind" "$name" >/dev/null 2>&1; fi \
      || { echo "missing: $api $kind $ns/$name" >&2; return 1; }
  done < <(state | jq -r '.deployment.resources[] | select((.type | startswith("kubernetes:")) and (.type | startswith("pulumi:providers:") | not) and .outputs.metadata.name != null)
      | [.outputs.apiVersion, .outputs.kind, .outputs.metadata.name, (.outputs.metadata.namespace // "")] | @tsv')
  (( n >= 6 )) || { echo "only $n Kubernetes objects in the state" >&2; return 1; }
}
no_pending_operations() { state | jq -e '(.deployment.pending_operations // []) | length == 0' >/dev/null; }

# The checks after every fault: converged, nothing duplicated, nothing lost, nothing leaked.
after_fault() { # label
  local label=$1
  step "$label: pulumi up converges"
  if run_pulumi "$label-up2.log" up --yes --skip-preview --stack "$STACK"; then
    ok "$label: the next pulumi up converges"; tail -n 6 "$WORK/$label-up2.log" >&2
  else
    bad "$label: the next pulumi up"; tail -n 40 "$WORK/$label-up2.log" >&2
  fi
  step "$label: checks"
  check "$label: no pending operations in the state" no_pending_operations
  local reg; reg=$(gl_active read_registry || true)
  check "$label: exactly one active read_registry deploy token ($DT_NAME)" one_active read_registry "$DT_NAME"
  check "$label: exactly one active read_repository deploy token ($DT_NAME-argocd)" one_active read_repository "$DT_NAME-argocd"
  check "$label: the registry secret in KV holds the active registry token" vault_has_token "$reg"
  check "$label: Vault's ACL policies are exactly the state's (no second name)" vault_policies_match_state
  check "$label: Vault's Kubernetes auth roles are exactly the state's (no second name)" vault_roles_match_state
  check "$label: every Kubernetes object of the state exists" k8s_objects_exist
  local t
  if t=$(sa_login "$PREFIX-dev" default "$PREFIX-dev-default") \
     && curl -fsS -o /dev/null -H "X-Vault-Token: $t" "$VAULT_ADDR/v1/secret/data/$REG_PATH"; then
    ok "$label: ServiceAccount default of $PREFIX-dev logs in to $PREFIX-dev-default and reads the registry secret"
  else
    bad "$label: ServiceAccount login to $PREFIX-dev-default or reading the registry secret"
  fi
  if run_pulumi "$label-preview.log" preview --expect-no-changes --diff --stack "$STACK"; then
    ok "$label: preview --expect-no-changes is clean"
  else
    bad "$label: preview --expect-no-changes"; tail -n 60 "$WORK/$label-preview.log" >&2
  fi
  drift_check "$STACK" "$label" 0
  state >"$WORK/$label-state.json"
  pulumi stack output --json --show-secrets=false --stack "$STACK" >"$WORK/$label-outputs.json" 2>/dev/null || true
  if no_leak "$WORK"/*.log "$WORK/$label-state.json" "$WORK/$label-outputs.json"; then
    ok "$label: no token value in clear in any log, the outputs or the state"
  else
    bad "$label: a token value in clear (where: above)"
  fi
}

# the same moment seen from the server, in case the log shows it late: a policy of the stack in
# Vault, an object of the stack in the cluster
vault_has_stack_policy() { vget "sys/policies/acl?list=true" | jq -e '[.data.keys[] | select(. != "default" and . != "root")] | length > 0'; }
kget() { curl -fsS --cacert "$E2E_KUBE_CA" -H "Authorization: Bearer $E2E_KUBE_TOKEN" "$E2E_KUBE_SERVER$1"; }
cluster_has_stack_object() {
  kget "/api/v1/namespaces?labelSelector=gitops-platform%2Fstack%3D$STACK" | jq -e '.items | length > 0' \
    || kget /api/v1/serviceaccounts | jq -e --arg n "vault-token-reviewer-$STACK" 'any(.items[]; .metadata.name == $n)'
}

# `pulumi up` in the background; once the up log matches PATTERN (or PROBE succeeds), SERVER is stopped, stays down
# DOWN_SECONDS (or until up ends) and is started again (same port and data). The up must end within
# UP_LIMIT seconds, either finished or failed without pending operations.
up_with_outage() { # label server signal pattern what probe
  local label=$1 server=$2 sig=$3 pattern=$4 what=$5 probe=$6 log="$WORK/$1-up.log" pid t0 rc hit=0
  step "$label: pulumi up, $server stopped after the first $what is created"
  (pulumi up --yes --skip-preview --non-interactive --stack "$STACK" >"$log" 2>&1) &
  pid=$!
  t0=$SECONDS
  while kill -0 "$pid" 2>/dev/null && (( SECONDS - t0 < UP_LIMIT )); do
    if grep -qE "$pattern" "$log" 2>/dev/null || "$probe" >/dev/null 2>&1; then hit=1; break; fi
    sleep 0.05
  done
  if (( hit )) && kill -0 "$pid" 2>/dev/null; then
    E2E_STOP_SIGNAL=$sig bash "$ROOT/scripts/e2e/cluster.sh" halt "$server" "$CLUSTER_DIR"
    if kill -0 "$pid" 2>/dev/null; then ok "$label: $server stopped (SIG$sig) while pulumi up was running (+$(( SECONDS - t0 ))s)"
    else bad "$label: pulumi up ended before $server was down (the fault came too late)"; fi
    for _ in $(seq 1 $(( DOWN_SECONDS * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    bash "$ROOT/scripts/e2e/cluster.sh" resume "$server" "$CLUSTER_DIR"
  else
    bad "$label: no $what was created while pulumi up ran (pattern $pattern)"; tail -n 30 "$log" >&2
    bash "$ROOT/scripts/e2e/cluster.sh" restart "$server" "$CLUSTER_DIR" || true
  fi
  while kill -0 "$pid" 2>/dev/null && (( SECONDS - t0 < UP_LIMIT )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    bad "$label: pulumi up still running after ${UP_LIMIT}s (hangs)"; kill -TERM "$pid" 2>/dev/null || true
  fi
  set +e; wait "$pid"; rc=$?; set -e
  if (( rc == 0 )); then
    ok "$label: the interrupted pulumi up finished (it waited for $server)"; tail -n 6 "$log" >&2
  else
    ok "$label: the interrupted pulumi up failed (exit $rc) after $(( SECONDS - t0 ))s"
    grep -E '^ *error:|^    error:' "$log" | sort -u | head -n 12 >&2 || tail -n 30 "$log" >&2
    check "$label: the failed up left no pending operations in the state" no_pending_operations
    check "$label: the failed up did not crash (no panic, no unhandled exception)" \
      bash -c "! grep -qiE 'panic:|unhandled (promise )?rejection|goroutine [0-9]+ \\[' '$log'"
  fi
}

# --- 1. OpenBao stopped in the middle of `pulumi up` -------------------------------------------
up_with_outage bao bao TERM '^ *\+ +vault:[^ ]+ .* created' "Vault resource" vault_has_stack_policy
check "bao: OpenBao came back with its data (initialised, unsealed, KV v2 at secret/)" \
  bash -c "$(declare -f vget); vget sys/mounts | jq -e '.data[\"secret/\"].options.version == \"2\"'"
after_fault bao

# --- 2. the API server restarted in the middle of `pulumi up` -----------------------------------
step "kube-apiserver: destroy, so that the next up creates everything again"
if run_pulumi destroy-1.log destroy --yes --skip-preview --stack "$STACK"; then ok "destroy before the API server fault"
else bad "destroy before the API server fault"; tail -n 40 "$WORK/destroy-1.log" >&2; fi
up_with_outage apiserver kube-apiserver KILL '^ *\+ +kubernetes:[^ ]+ .* created' "Kubernetes object" cluster_has_stack_object
after_fault apiserver

# --- 3. GitLab answering 500s ---------------------------------------------------------------------
step "gitlab: registry token revoked out of band, then 500s that recover and a create whose answer is lost"
OLD_ID=$(gl_active read_registry | jq -r .id)
REPO_ID=$(gl_active read_repository | jq -r .id)
curl -fsS -X POST "$GL_URL/_double/revoke?group=$GROUP_Q&id=$OLD_ID" >/dev/null
curl -fsS -X DELETE "$GL_URL/_double/faults" >/dev/null
SERVED0=$(curl -fsS "$GL_URL/_double/faults" | jq .served)
# the next 3 API calls answer 500 (the refresh's reads); then the first create is performed by GitLab
# but answered 500 (its value is lost: the provider must revoke that token, not leave it active)
curl -fsS -X POST -d '{"status":500,"count":3}' -H 'Content-Type: application/json' "$GL_URL/_double/faults" >/dev/null
curl -fsS -X POST -d '{"status":500,"count":1,"method":"POST","path":"/deploy_tokens$","commit":true}' \
  -H 'Content-Type: application/json' "$GL_URL/_double/faults" >/dev/null
if run_pulumi gitlab-up.log up --refresh --yes --skip-preview --stack "$STACK"; then
  ok "gitlab: pulumi up --refresh succeeds through the 500s"; tail -n 6 "$WORK/gitlab-up.log" >&2
else
  bad "gitlab: pulumi up --refresh through recovering 500s"; tail -n 40 "$WORK/gitlab-up.log" >&2
fi
FAULTS=$(curl -fsS "$GL_URL/_double/faults")
check "gitlab: the program met all 4 faulty answers and retried (double: $FAULTS, served before $SERVED0)" \
  jq -e --argjson s0 "$SERVED0" '.pending == 0 and .served - $s0 == 4' <<<"$FAULTS"
new_token() { gl_active read_registry | jq -se --argjson old "$OLD_ID" 'length == 1 and .[0].id != $old' >/dev/null; }
check "gitlab: a new registry token replaced the revoked one (id $OLD_ID)" new_token
lost_revoked() { # tokens with the name: the revoked old one, the new active one; the lost one is gone or revoked
  gl_tokens | jq -e --arg n "$DT_NAME" '[.[] | select(.name == $n and (.revoked | not))] | length == 1' >/dev/null
}
check "gitlab: the token whose create answer was lost is not left active" lost_revoked
repo_kept() { [[ "$(gl_active read_repository | jq -r .id)" == "$REPO_ID" ]]; }
check "gitlab: the read_repository token was kept (id $REPO_ID)" repo_kept
after_fault gitlab-recovering

step "gitlab: 500s that never recover"
OLD_ID=$(gl_active read_registry | jq -r .id)
curl -fsS -X POST "$GL_URL/_double/revoke?group=$GROUP_Q&id=$OLD_ID" >/dev/null
if run_pulumi gitlab-refresh.log refresh --yes --skip-preview --stack "$STACK"; then ok "gitlab: refresh drops the revoked token"
else bad "gitlab: refresh after revocation"; tail -n 30 "$WORK/gitlab-refresh.log" >&2; fi
curl -fsS -X POST -d '{"status":500,"count":100000}' -H 'Content-Type: application/json' "$GL_URL/_double/faults" >/dev/null
if run_pulumi gitlab-down-up.log up --yes --skip-preview --stack "$STACK"; then
  bad "gitlab: pulumi up succeeded while GitLab answered only 500"
else
  ok "gitlab: pulumi up fails while GitLab answers only 500"
fi
grep -E 'GitLab' "$WORK/gitlab-down-up.log" | sort -u | head -n 5 >&2 || tail -n 30 "$WORK/gitlab-down-up.log" >&2
check "gitlab: the error names GitLab, the status, the request URL and the attempts" \
  grep -qE "GitLab answered 500 Internal Server Error for (GET|POST) $GL_URL/api/v4/groups/[^ ]+/deploy_tokens[^ ]* on all [0-9]+ attempts" "$WORK/gitlab-down-up.log"
check "gitlab: no token value in clear in that error" no_leak "$WORK/gitlab-down-up.log"
no_registry_token() { [[ -z "$(gl_active read_registry)" ]]; }
check "gitlab: nothing was created while GitLab failed (no active registry token)" no_registry_token
check "gitlab: the failed up left no pending operations" no_pending_operations
curl -fsS -X DELETE "$GL_URL/_double/faults" >/dev/null
after_fault gitlab-down

(( FAIL == 0 ))
