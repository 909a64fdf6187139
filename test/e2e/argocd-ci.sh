#!/usr/bin/env bash
# End-to-end test of Argo CD for CI and webhooks (issue 13.3): the real program and Pulumi engine
# against OpenBao, the local kube-apiserver, the GitLab double and Argo CD's API:
#   - a REAL argocd-server (the toolchain's argocd binary run as argocd-server, out of cluster, with
#     Redis from scripts/e2e/ensure-redis.sh) when both are available, else the Argo CD API double
#     (test/support/argocd-double); E2E_ARGOCD=real|double forces one (real fails when it cannot run)
#   - pulumi up: the ci-readonly token exists in Argo CD (GET /api/v1/account/ci-readonly, with the
#     expiry of the output argocdCiTokenExpiresAt), logs in (GET /api/v1/applications), may not
#     write (real server: RBAC), is in Vault and in the group variables ARGOCD_SERVER and
#     ARGOCD_AUTH_TOKEN; the webhook secret is in Vault and push hooks point at <argocd.url>/api/webhook
#     on gitops-config and the service repo; no token, password or webhook secret in clear
#   - preview --expect-no-changes; GITOPS_PLATFORM_CLOCK inside rotateBeforeDays: up makes a new token,
#     updates Vault and the variable, deletes the old token; preview --expect-no-changes
#   - the token deleted in Argo CD out of band: refresh drops it, up makes a new one
#   - the clock inside argocd.ciAccount.rotateBeforeDays: npm run drift exits 3 naming the token,
#     npm run rotate replaces it (new token in Argo CD, Vault and ARGOCD_AUTH_TOKEN; old one 401)
#   - gitlab.manageProjects: gitops-config existed (adopted, same id), api-gateway did not (created);
#     a service removed from the config keeps its project (the merge-request report says "Kept, not
#     deleted"), adding it back adopts it; destroy leaves both projects
#   - destroy: the token deleted in Argo CD, the variables, hooks and Vault secrets gone
# Argo CD is installed outside the stack here (argocd.enabled false): the script applies the
# argocd-cm / argocd-rbac-cm lines the stack's Helm values would set (it warns about them).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=argocd-ci
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
ADMIN_PW="argocd-e2e-admin-$(openssl rand -hex 10)"
ARGO_PID="" REDIS_PID="" ARGO_MODE=""
e2e_pulumi_cleanup() { # called by lib.sh's trap
  local p
  for p in "$ARGO_PID" "$REDIS_PID"; do
    [[ -n "$p" ]] && kill -TERM "$p" 2>/dev/null && for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    [[ -n "$p" ]] && kill -KILL "$p" 2>/dev/null
  done
  return 0
}
e2e_start

STACK=e2e PREFIX=e2e PROJECT=e2e ACCOUNT=ci-readonly DAYS=30 BEFORE=7
PUBLIC_URL=https://argocd.e2e.example.com
E2E_STACKS=("$STACK")
CI_PATH=e2e/platform/stacks/$STACK/argocd-ci HOOK_PATH=e2e/platform/stacks/$STACK/argocd-webhook
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

start_real_argocd() {
  [[ -x "$E2E_BIN/argocd" ]] || { echo "no $E2E_BIN/argocd" >&2; return 1; }
  local redis; redis=$(bash "$ROOT/scripts/e2e/ensure-redis.sh") || return 1
  local rp ap mp bcrypt dir=$WORK/argocd
  mkdir -p "$dir"
  rp=$(free_port) ap=$(free_port) mp=$(free_port)
  (exec setsid "$redis" --port "$rp" --bind 127.0.0.1 --save '' --appendonly no >"$dir/redis.log" 2>&1 </dev/null) &
  REDIS_PID=$!
  bcrypt=$("$E2E_BIN/argocd" account bcrypt --password "$ADMIN_PW")
  # What the stack's Helm values set (configs.cm accounts.ci-readonly, configs.rbac policy.csv), here by hand.
  kubectl apply -n argocd -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm, labels: {app.kubernetes.io/name: argocd-cm, app.kubernetes.io/part-of: argocd}}
data:
  accounts.$ACCOUNT: apiKey
  admin.enabled: "true"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-rbac-cm, labels: {app.kubernetes.io/name: argocd-rbac-cm, app.kubernetes.io/part-of: argocd}}
data:
  policy.csv: |
    p, role:$ACCOUNT, applications, get, $PROJECT/*, allow
    p, role:$ACCOUNT, projects, get, $PROJECT, allow
    g, $ACCOUNT, role:$ACCOUNT
---
apiVersion: v1
kind: Secret
metadata: {name: argocd-secret, labels: {app.kubernetes.io/name: argocd-secret, app.kubernetes.io/part-of: argocd}}
stringData:
  server.secretkey: "$(openssl rand -hex 32)"
  admin.password: '$bcrypt'
  admin.passwordMtime: "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
YAML
  ln -sf "$(readlink -f "$E2E_BIN/argocd")" "$dir/argocd-server"
  (exec setsid "$dir/argocd-server" --insecure --kubeconfig "$KUBECONFIG" --namespace argocd \
     --redis "127.0.0.1:$rp" --port "$ap" --metrics-port "$mp" --address 127.0.0.1 \
     --repo-server 127.0.0.1:1 --loglevel warn >"$dir/server.log" 2>&1 </dev/null) &
  ARGO_PID=$!
  ARGO_URL=http://127.0.0.1:$ap
  for _ in $(seq 1 150); do
    curl -fsS "$ARGO_URL/api/version" >/dev/null 2>&1 && return 0
    kill -0 "$ARGO_PID" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 30 "$dir/server.log" >&2
  return 1
}

start_argocd_double() {
  mkdir -p "$WORK/argocd-double"
  (cd "$ROOT" && exec setsid bash scripts/with-node.sh node --import tsx test/support/argocd-double/main.ts \
    --admin-password "$ADMIN_PW" --account "$ACCOUNT" --url-file "$WORK/argocd-double/url" \
    >"$WORK/argocd-double/log" 2>&1 </dev/null) &
  ARGO_PID=$!
  for _ in $(seq 1 100); do [[ -s "$WORK/argocd-double/url" ]] && break; kill -0 "$ARGO_PID" 2>/dev/null || break; sleep 0.2; done
  [[ -s "$WORK/argocd-double/url" ]] || { cat "$WORK/argocd-double/log" >&2; return 1; }
  ARGO_URL=$(cat "$WORK/argocd-double/url")
}

step "argocd"
case "${E2E_ARGOCD:-auto}" in
  real) start_real_argocd || { echo "$NAME: E2E_ARGOCD=real but argocd-server did not start" >&2; exit 1; }; ARGO_MODE=real ;;
  double) start_argocd_double; ARGO_MODE=double ;;
  *)
    if start_real_argocd; then ARGO_MODE=real
    else
      echo "[$NAME] no real argocd-server here (binary or Redis missing, or it did not start): using the Argo CD API double" >&2
      e2e_pulumi_cleanup; ARGO_PID="" REDIS_PID=""
      start_argocd_double; ARGO_MODE=double
    fi ;;
esac
echo "[$NAME] Argo CD API ($ARGO_MODE) at $ARGO_URL" >&2

# Argo CD admin session and account reads (curl, as an operator would)
# argocd-server's grpc-gateway answers 415 to a body without Content-Type: application/json
argo_session() { curl -fsS -H 'Content-Type: application/json' "$ARGO_URL/api/v1/session" -d "$(jq -cn --arg p "$ADMIN_PW" '{username:"admin",password:$p}')" | jq -r .token; }
argo_tokens() { curl -fsS -H "Authorization: Bearer $(argo_session)" "$ARGO_URL/api/v1/account/$ACCOUNT" | jq -c '.tokens // []'; }

pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
cfg() { pulumi config set --stack "$STACK" "$@" >/dev/null; }
cfg kubernetes:kubeconfig "$KUBECONFIG"
cfg vault:address "$VAULT_ADDR"
cfg --secret vault:token "$VAULT_TOKEN"
cfg gitops-platform:namespacePrefix "$PREFIX"
cfg gitops-platform:environments '{"dev":{}}'
cfg gitops-platform:services '[{"name":"api-gateway"}]'
cfg gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" '{host:"gitlab.example.com",apiUrl:$api,group:$group,manageProjects:true}')"
cfg --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
cfg --path gitops-platform:registry.server registry.example.com
cfg --path gitops-platform:registry.username e2e-user
cfg --path --secret gitops-platform:registry.password e2e-registry-password
cfg gitops-platform:argocd "$(jq -cn --arg api "$ARGO_URL" --arg url "$PUBLIC_URL" --argjson d "$DAYS" --argjson b "$BEFORE" \
  '{enabled:false,repoUsername:"argocd-reader",apiUrl:$api,url:$url,ciAccount:{tokenExpiresInDays:$d,rotateBeforeDays:$b}}')"
cfg --secret gitops-platform:argocdRepoToken e2e-repo-read-token
cfg --secret gitops-platform:argocdAdminPassword "$ADMIN_PW"
cfg gitops-platform:vso '{"enabled":false,"waitForSync":false}'
cfg gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:"e2e",kubernetesHost:$host,kubernetesCaCert:$ca,servicePlaceholders:false}')"

step "gitlab.manageProjects: gitops-config exists already, api-gateway does not"
gl_api() { curl -fsS -H "PRIVATE-TOKEN: $GL_API_TOKEN" "$@"; }
uri() { jq -rn --arg p "$1" '$p|@uri'; }
project_id() { gl_api "$GL_URL/api/v4/projects/$(uri "$1")" | jq -r .id; }
GROUP_ID=$(gl_api "$GL_URL/api/v4/groups/$(uri "$GL_GROUP")" | jq -r .id)
CONFIG_ID=$(gl_api -X POST -H 'Content-Type: application/json' "$GL_URL/api/v4/projects" \
  -d "$(jq -cn --argjson ns "$GROUP_ID" '{name:"gitops-config",namespace_id:$ns}')" | jq -r .id)
check "before up: $GL_GROUP/gitops-config exists (id $CONFIG_ID), $GL_GROUP/api-gateway answers 404" \
  bash -c "[[ '$CONFIG_ID' =~ ^[0-9]+$ && \$(curl -s -o /dev/null -w '%{http_code}' -H 'PRIVATE-TOKEN: $GL_API_TOKEN' '$GL_URL/api/v4/projects/$(uri "$GL_GROUP/api-gateway")') == 404 ]]"

step "pulumi up"
EXPIRES=$(date -u -d "+$DAYS days" +%Y-%m-%dT00:00:00.000Z)
if run_pulumi up.log up --yes --skip-preview --stack "$STACK"; then ok "pulumi up succeeded"; tail -n 12 "$WORK/up.log" >&2
else bad "pulumi up"; tail -n 60 "$WORK/up.log" >&2; fi

step "checks: token in Argo CD, Vault, GitLab"
OUT=$(pulumi stack output --json --show-secrets=false --stack "$STACK" 2>/dev/null || echo '{}')
printf '%s\n' "$OUT" >"$WORK/outputs.json"
OUT_EXP=$(jq -r '.argocdCiTokenExpiresAt // empty' <<<"$OUT")
check "output argocdCiTokenExpiresAt = $EXPIRES" test "$OUT_EXP" = "$EXPIRES"
TOKENS=$(argo_tokens || echo '[]')
echo "[$NAME] Argo CD lists: $TOKENS" >&2
one_token_expiring() { # tokens JSON, expiry ISO
  # Argo CD counts expiresIn from its own clock: a second or two either side
  jq -e --argjson e "$(date -u -d "$2" +%s)" 'length == 1 and ((.[0].expiresAt | tonumber) - $e | fabs) <= 5' <<<"$1"
}
check "GET /api/v1/account/$ACCOUNT lists one token expiring at $EXPIRES" one_token_expiring "$TOKENS" "$EXPIRES"
TOKEN_ID=$(jq -r '.[0].id // empty' <<<"$TOKENS")
ci_token() { vget "secret/data/$CI_PATH" | jq -r '.data.data.token'; }
TOKEN=$(ci_token || true)
check "Vault secret/$CI_PATH holds a token, server and account" \
  bash -c "$(declare -f vget); vget secret/data/$CI_PATH | jq -e '.data.data | (.token | length > 20) and .server == \"argocd.e2e.example.com\" and .account == \"$ACCOUNT\"'"
check "the token logs in: GET /api/v1/applications with it answers 200" \
  curl -fsS -H "Authorization: Bearer $TOKEN" "$ARGO_URL/api/v1/applications"
write_forbidden() {
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST "$ARGO_URL/api/v1/applications" \
    -d '{"metadata":{"name":"e2e-forbidden","namespace":"argocd"},"spec":{"project":"e2e","source":{"repoURL":"https://gitlab.example.com/x.git","path":"."},"destination":{"server":"https://kubernetes.default.svc","namespace":"e2e-dev"}}}')
  [[ "$code" == 403 ]] || { echo "write answered $code" >&2; return 1; }
}
check "a write with it is forbidden (RBAC: POST /api/v1/applications answers 403)" write_forbidden
gl_vars() { curl -fsS "$GL_URL/_double/variables?group=$(jq -rn --arg g "$GL_GROUP" '$g|@uri')"; }
vars_hold() { # token
  gl_vars | jq -e --arg t "$1" '
    (map(select(.key == "ARGOCD_AUTH_TOKEN"))[0] | .value == $t and .masked == true and .protected == false and .raw == true)
    and (map(select(.key == "ARGOCD_SERVER"))[0] | .value == "argocd.e2e.example.com" and .masked == false)'
}
check "group variables: ARGOCD_AUTH_TOKEN = the token (masked, not protected, raw), ARGOCD_SERVER = argocd.e2e.example.com" vars_hold "$TOKEN"

step "checks: GitLab projects (gitlab.manageProjects)"
check "gitops-config adopted: same id $CONFIG_ID" bash -c "[[ \$(curl -fsS -H 'PRIVATE-TOKEN: $GL_API_TOKEN' '$GL_URL/api/v4/projects/$(uri "$GL_GROUP/gitops-config")' | jq -r .id) == '$CONFIG_ID' ]]"
check "api-gateway created in the group" bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' -H 'PRIVATE-TOKEN: $GL_API_TOKEN' '$GL_URL/api/v4/projects/$(uri "$GL_GROUP/api-gateway")') == 200 ]]"
API_ID=$(project_id "$GL_GROUP/api-gateway" || echo none)
pulumi stack export --stack "$STACK" >"$WORK/state-projects.json" 2>/dev/null || true
check "state: two Project resources, retainOnDelete, gitops-config adopted and api-gateway created" jq -e '
  [.deployment.resources[] | select(.type == "pulumi-nodejs:dynamic/gitlab:Project")] as $p
  | ($p | length) == 2 and all($p[]; .retainOnDelete == true)
  and ($p | map(select(.outputs.path | endswith("/gitops-config")))[0].outputs.adopted == true)
  and ($p | map(select(.outputs.path | endswith("/api-gateway")))[0].outputs.adopted == false)' "$WORK/state-projects.json"
check "the up says the projects are never deleted" grep -q "this stack never deletes a GitLab project" "$WORK/up.log"

step "checks: webhook secret and push hooks"
HOOK_SECRET=$(vget "secret/data/$HOOK_PATH" | jq -r '.data.data["webhook.gitlab.secret"] // empty' || true)
check "Vault secret/$HOOK_PATH holds a 64-hex webhook secret" bash -c "[[ '$HOOK_SECRET' =~ ^[0-9a-f]{64}$ ]]"
hooks_of() { curl -fsS -H "PRIVATE-TOKEN: $GL_API_TOKEN" "$GL_URL/api/v4/projects/$(jq -rn --arg p "$1" '$p|@uri')/hooks"; }
one_hook() { hooks_of "$1" | jq -e --arg u "$PUBLIC_URL/api/webhook" 'length == 1 and .[0].url == $u and .[0].push_events == true'; }
for repo in gitops-config api-gateway; do
  check "one push hook on $GL_GROUP/$repo to $PUBLIC_URL/api/webhook" one_hook "$GL_GROUP/$repo"
done

pulumi stack export --stack "$STACK" >"$WORK/state.json" 2>/dev/null || true
SECRETS_FILE=$WORK/secret-values
remember() { printf '%s\n' "$@" | grep -v '^$' >>"$SECRETS_FILE"; sort -u -o "$SECRETS_FILE" "$SECRETS_FILE"; }
remember "$TOKEN" "$HOOK_SECRET" "$ADMIN_PW" "$GL_API_TOKEN"
no_leak() { # files...
  local v f
  (( $(wc -l <"$SECRETS_FILE") >= 4 )) || { echo "too few secret values collected" >&2; return 1; }
  while read -r v; do for f in "$@"; do grep -qF -- "$v" "$f" && { echo "leak in $f" >&2; return 1; }; done; done <"$SECRETS_FILE"
  return 0
}
check "no token, admin password, webhook secret or API token in clear in outputs, the up log or the state" \
  no_leak "$WORK/outputs.json" "$WORK/up.log" "$WORK/state.json"
check "state: the token and the password are secret ciphertexts" jq -e '
  [.deployment.resources[] | select(.type == "pulumi-nodejs:dynamic/argocd:AccountToken")] | length == 1 and
  all(.outputs.token.ciphertext and .outputs.password.ciphertext)' "$WORK/state.json"

step "pulumi preview --expect-no-changes"
if run_pulumi preview.log preview --expect-no-changes --diff --stack "$STACK"; then ok "second run changes nothing"
else bad "preview --expect-no-changes"; tail -n 60 "$WORK/preview.log" >&2; fi

step "rotation: GITOPS_PLATFORM_CLOCK inside rotateBeforeDays"
CLOCK_S=$(( $(date -u -d "$EXPIRES" +%s) - 3 * 86400 ))
CLOCK=$(date -u -d "@$CLOCK_S" +%Y-%m-%dT%H:%M:%SZ)
NEW_EXPIRES=$(date -u -d "@$(( CLOCK_S + DAYS * 86400 ))" +%Y-%m-%dT00:00:00.000Z)
if GITOPS_PLATFORM_CLOCK=$CLOCK run_pulumi up-rotate.log up --yes --skip-preview --stack "$STACK"; then
  ok "up with the clock at $CLOCK succeeded"; tail -n 12 "$WORK/up-rotate.log" >&2
else bad "up with the clock moved"; tail -n 60 "$WORK/up-rotate.log" >&2; fi
TOKENS2=$(argo_tokens || echo '[]')
echo "[$NAME] Argo CD lists: $TOKENS2" >&2
check "Argo CD: one token, a new id, expiring at $NEW_EXPIRES (the old one deleted)" \
  bash -c "$(declare -f one_token_expiring); one_token_expiring '$TOKENS2' '$NEW_EXPIRES' && jq -e --arg id '$TOKEN_ID' '.[0].id != \$id' <<<'$TOKENS2'"
TOKEN2=$(ci_token || true)
remember "$TOKEN2"
check "Vault holds the new token" bash -c "[[ -n '$TOKEN2' && '$TOKEN2' != '$TOKEN' ]]"
check "ARGOCD_AUTH_TOKEN holds the new token" vars_hold "$TOKEN2"
old_rejected() { local c; c=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$ARGO_URL/api/v1/applications"); [[ "$c" == 401 ]]; }
check "the old token is rejected (401)" old_rejected
check "output argocdCiTokenExpiresAt moved to $NEW_EXPIRES" \
  bash -c "[[ \$(pulumi stack output argocdCiTokenExpiresAt --stack $STACK) == '$NEW_EXPIRES' ]]"
if GITOPS_PLATFORM_CLOCK=$CLOCK run_pulumi preview-rotate.log preview --expect-no-changes --diff --stack "$STACK"; then ok "after the rotation, a further run (same clock) changes nothing"
else bad "preview --expect-no-changes after rotation"; tail -n 60 "$WORK/preview-rotate.log" >&2; fi
if run_pulumi preview-rotate-real.log preview --expect-no-changes --diff --stack "$STACK"; then ok "and with the real clock, nothing either"
else bad "preview --expect-no-changes (real clock) after rotation"; tail -n 60 "$WORK/preview-rotate-real.log" >&2; fi

step "the token deleted in Argo CD out of band"
TOKEN2_ID=$(argo_tokens | jq -r '.[0].id')
curl -fsS -X DELETE -H 'Content-Type: application/json' -H "Authorization: Bearer $(argo_session)" "$ARGO_URL/api/v1/account/$ACCOUNT/token/$TOKEN2_ID" >/dev/null
if run_pulumi refresh-deleted.log refresh --yes --skip-preview --stack "$STACK"; then ok "refresh after the delete succeeded"
else bad "refresh after the delete"; tail -n 40 "$WORK/refresh-deleted.log" >&2; fi
dropped() { pulumi stack export --stack "$STACK" | jq -e '[.deployment.resources[] | select(.type == "pulumi-nodejs:dynamic/argocd:AccountToken")] | length == 0'; }
check "refresh dropped the deleted token from the state" dropped
if run_pulumi up-deleted.log up --yes --skip-preview --stack "$STACK"; then ok "up after the delete succeeded"
else bad "up after the delete"; tail -n 60 "$WORK/up-deleted.log" >&2; fi
TOKEN3=$(ci_token || true)
remember "$TOKEN3"
check "a new token exists in Argo CD, Vault and ARGOCD_AUTH_TOKEN" \
  bash -c "$(declare -f vars_hold gl_vars); GL_URL='$GL_URL' GL_GROUP='$GL_GROUP'; [[ -n '$TOKEN3' && '$TOKEN3' != '$TOKEN2' ]] && vars_hold '$TOKEN3' && curl -fsS -H 'Authorization: Bearer $TOKEN3' '$ARGO_URL/api/v1/applications' >/dev/null"
if run_pulumi preview-3.log preview --expect-no-changes --diff --stack "$STACK"; then ok "then nothing changes"
else bad "preview --expect-no-changes after the new token"; tail -n 40 "$WORK/preview-3.log" >&2; fi

step "the scheduled rotate job (npm run rotate) rotates the Argo CD token"
ops() { # command label args... (output in WORK/<command>-<label>.log)
  local cmd=$1 label=$2; shift 2
  (cd "$WORK" && node --import tsx "$ROOT/ops/$cmd.ts" "$@") >"$WORK/$cmd-$label.log" 2>&1
}
EXP3=$(pulumi stack output argocdCiTokenExpiresAt --stack "$STACK")
CLOCK3=$(date -u -d "$EXP3 - 3 days" +%Y-%m-%dT%H:%M:%SZ)
NEW_EXPIRES3=$(date -u -d "$(date -u -d "$CLOCK3" +%F) + $DAYS days" +%Y-%m-%dT00:00:00.000Z)
TOKEN3_ID=$(argo_tokens | jq -r '.[0].id')
set +e; GITOPS_PLATFORM_CLOCK=$CLOCK3 ops drift window --stack "$STACK" --out "$WORK/reports/window"; RC=$?; set -e
if [[ $RC == 3 ]]; then ok "drift check with the clock at $CLOCK3 exits 3 (token due)"; else bad "drift check in the window exits $RC, want 3"; cat "$WORK/drift-window.log" >&2; fi
check "drift.json: argocdCiTokenExpiresAt due with argocd.ciAccount.rotateBeforeDays ($BEFORE), rotated by the rotate job" \
  jq -e --argjson b "$BEFORE" --arg s "$STACK" '.stacks[0].tokens | length == 1 and (.[0] | .output == "argocdCiTokenExpiresAt" and .rotateBeforeDays == $b and .status == "rotation-due" and (.rotatedBy | contains("npm run rotate -- --stack " + $s)))' "$WORK/reports/window/drift.json"
set +e; GITOPS_PLATFORM_CLOCK=$CLOCK3 ops rotate run --stack "$STACK" --out "$WORK/reports/rotate"; RC=$?; set -e
if [[ $RC == 0 ]]; then ok "rotate exits 0"; tail -n 12 "$WORK/rotate-run.log" >&2; else bad "rotate exits $RC"; tail -n 40 "$WORK/rotate-run.log" >&2; fi
check "rotate said it rotates argocd-ci-token" grep -q "rotating argocd-ci-token (replace)" "$WORK/rotate-run.log"
TOKENS4=$(argo_tokens || echo '[]')
check "Argo CD: one token, a new id, expiring at $NEW_EXPIRES3 (the old one deleted)" \
  bash -c "$(declare -f one_token_expiring); one_token_expiring '$TOKENS4' '$NEW_EXPIRES3' && jq -e --arg id '$TOKEN3_ID' '.[0].id != \$id' <<<'$TOKENS4'"
TOKEN4=$(ci_token || true)
remember "$TOKEN4"
check "Vault and ARGOCD_AUTH_TOKEN hold the rotated token" bash -c "$(declare -f vars_hold gl_vars); GL_URL='$GL_URL' GL_GROUP='$GL_GROUP'; [[ -n '$TOKEN4' && '$TOKEN4' != '$TOKEN3' ]] && vars_hold '$TOKEN4'"
check "the token before the rotation is rejected (401)" bash -c "[[ \$(curl -sS -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $TOKEN3' '$ARGO_URL/api/v1/applications') == 401 ]]"
set +e; GITOPS_PLATFORM_CLOCK=$CLOCK3 ops drift rotated --stack "$STACK" --out "$WORK/reports/rotated"; RC=$?; set -e
if [[ $RC == 0 ]]; then ok "drift check after the rotation (same clock) exits 0"; else bad "drift check after the rotation exits $RC"; cat "$WORK/drift-rotated.log" >&2; fi
pulumi stack export --stack "$STACK" >"$WORK/state-2.json" 2>/dev/null || true
pulumi stack output --json --show-secrets=false --stack "$STACK" >"$WORK/outputs-2.json" 2>/dev/null || true

step "gitlab.manageProjects: a service removed from the config keeps its project"
cfg gitops-platform:services '[]'
set +e; ops preview-report removed --stack "$STACK" --out "$WORK/reports/removed"; RC=$?; set -e
if [[ $RC == 0 ]]; then ok "preview-report with api-gateway removed ran"; else bad "preview-report exits $RC"; tail -n 30 "$WORK/preview-report-removed.log" >&2; fi
check "the merge-request report says gitlab-project-api-gateway is kept, not deleted" \
  grep -qF 'Kept, not deleted (retainOnDelete):** `gitlab-project-api-gateway` (delete)' "$WORK/reports/removed/preview-$STACK.md"
if run_pulumi up-removed.log up --yes --skip-preview --stack "$STACK"; then ok "up without api-gateway"
else bad "up without api-gateway"; tail -n 40 "$WORK/up-removed.log" >&2; fi
check "api-gateway still exists in GitLab (same id $API_ID)" bash -c "[[ \$(curl -fsS -H 'PRIVATE-TOKEN: $GL_API_TOKEN' '$GL_URL/api/v4/projects/$(uri "$GL_GROUP/api-gateway")' | jq -r .id) == '$API_ID' ]]"
check "the state no longer has it" bash -c "! pulumi stack export --stack '$STACK' | jq -e '.deployment.resources[] | select(.type == \"pulumi-nodejs:dynamic/gitlab:Project\" and (.outputs.path | endswith(\"/api-gateway\")))'"
cfg gitops-platform:services '[{"name":"api-gateway"}]'
if run_pulumi up-readded.log up --yes --skip-preview --stack "$STACK"; then ok "up with api-gateway again"
else bad "up with api-gateway again"; tail -n 40 "$WORK/up-readded.log" >&2; fi
check "api-gateway adopted again (same id, adopted true)" bash -c "pulumi stack export --stack '$STACK' | jq -e --arg id '$API_ID' '.deployment.resources[] | select(.type == \"pulumi-nodejs:dynamic/gitlab:Project\" and (.outputs.path | endswith(\"/api-gateway\"))) | .id == \$id and .outputs.adopted == true'"

step "pulumi destroy"
if run_pulumi destroy.log destroy --yes --skip-preview --stack "$STACK"; then ok "pulumi destroy succeeded"
else bad "pulumi destroy"; tail -n 60 "$WORK/destroy.log" >&2; fi
check "Argo CD: the account has no token left" bash -c "$(declare -f argo_tokens argo_session); ARGO_URL='$ARGO_URL' ADMIN_PW='$ADMIN_PW' ACCOUNT='$ACCOUNT'; [[ \$(argo_tokens) == '[]' ]]"
no_vars() { gl_vars | jq -e 'map(select(.key | startswith("ARGOCD_"))) | length == 0'; }
check "GitLab: ARGOCD_SERVER and ARGOCD_AUTH_TOKEN deleted" no_vars
no_hooks() { [[ $(hooks_of "$GL_GROUP/gitops-config" | jq length) == 0 && $(hooks_of "$GL_GROUP/api-gateway" | jq length) == 0 ]]; }
check "GitLab: the push hooks deleted" no_hooks
check "Vault: both secrets gone" bash -c "! curl -fsS -H 'X-Vault-Token: $VAULT_TOKEN' $VAULT_ADDR/v1/secret/data/$CI_PATH && ! curl -fsS -H 'X-Vault-Token: $VAULT_TOKEN' $VAULT_ADDR/v1/secret/data/$HOOK_PATH"
check "GitLab: destroy left both projects (gitops-config id $CONFIG_ID, api-gateway id $API_ID)" \
  bash -c "[[ \$(curl -fsS -H 'PRIVATE-TOKEN: $GL_API_TOKEN' '$GL_URL/api/v4/projects/$(uri "$GL_GROUP/gitops-config")' | jq -r .id) == '$CONFIG_ID' && \$(curl -fsS -H 'PRIVATE-TOKEN: $GL_API_TOKEN' '$GL_URL/api/v4/projects/$(uri "$GL_GROUP/api-gateway")' | jq -r .id) == '$API_ID' ]]"
check "no secret value in clear in any log, output or state of the run" no_leak "$WORK"/*.log "$WORK"/outputs*.json "$WORK"/state*.json
echo "[$NAME] Argo CD API: $ARGO_MODE" >&2
pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || true

(( FAIL == 0 ))
