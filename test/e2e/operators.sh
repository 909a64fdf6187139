#!/usr/bin/env bash
# End-to-end with the real operators (issue: real operators in the e2e): the program against
# etcd + kube-apiserver + OpenBao, with the Vault Secrets Operator v1.5.0 and the Argo CD v3.2.6
# ApplicationSet controller running out of cluster with their own RBAC (scripts/e2e/operators.sh).
#   1. pulumi up of a stack with 3 environments and 3 services in 3 sync waves: up ends only when
#      VSO has synced regsecret into every namespace (vso.waitForSync); each regsecret is of type
#      kubernetes.io/dockerconfigjson and holds exactly the .dockerconfigjson written to Vault
#   2. the ApplicationSet controller generates exactly the Applications <service>-<env> with the
#      destination namespace, project, labels and value files the README promises; the RollingSync
#      steps it computes (one per wave) are printed and checked
#   3. the access matrix through real logins: a TokenRequest token (audience vault) of each
#      environment's ServiceAccount logs in with <ns>-default, reads its own environment's service
#      secrets and the registry path, is denied other environments' paths and every write; a
#      ServiceAccount that is not listed, a token from another namespace and a token with another
#      audience cannot log in. The matrix is printed; any cell that differs fails
#   4. rotation (the clock moved into the deploy token's rotation window): every regsecret is polled
#      during the up; the longest time a regsecret held a token that was no longer active is printed
#      and must be 0; then preview --expect-no-changes
#   5. merge request previews (previews on for api-gateway and frontend): the GitLab double serves
#      merge requests; a labelled open one yields its Application <service>-mr-<iid> (namespace
#      ops-preview, project, finalizer, image tag mr-<iid>-<short sha>, values at the head commit),
#      an unlabelled one and one of a service without previews yield nothing, removing the label or
#      closing the merge request deletes it; the generator's token reached the controller through
#      Vault and VSO (scm-creds Secret); the access matrix has the preview row
#   6. destroy (VSO removes its finalizers), everything stopped
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=operators
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start

step "operators: VSO and the ApplicationSet controller (progressive syncs on)"
E2E_APPSET_PROGRESSIVE=1 bash "$ROOT/scripts/e2e/operators.sh" start vso appset

STACK=ops
PREFIX=ops
ENVS=(dev staging prod)
ROWS=("${ENVS[@]}" preview)   # the preview namespace gets what an environment gets (matrix row, regsecret)
SERVICES=(api-gateway auth-service frontend)   # sync waves 0, 1, 2
E2E_STACKS=("$STACK")
REG_HOST=registry.gitlab.example.com
REG_PATH=ops/platform/stacks/$STACK/registry
DT_DAYS=30 DT_ROTATE=7
pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
cfg() { pulumi config set --stack "$STACK" "$@" >/dev/null; }
cfg kubernetes:kubeconfig "$KUBECONFIG"
cfg vault:address "$VAULT_ADDR"
cfg --secret vault:token "$VAULT_TOKEN"
cfg gitops-platform:namespacePrefix "$PREFIX"
cfg gitops-platform:environments '{"dev":{},"staging":{},"prod":{}}'
cfg gitops-platform:services '[{"name":"api-gateway","syncWave":0},{"name":"auth-service","syncWave":1},{"name":"frontend","repo":"web/frontend","syncWave":2}]'
cfg gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" --argjson days "$DT_DAYS" --argjson before "$DT_ROTATE" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:"ops-registry",expiresInDays:$days,rotateBeforeDays:$before}}')"
cfg --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
# Argo CD and VSO are "installed out of band" (the operators started above); VSO reaches OpenBao
# on loopback (plain http is accepted for loopback); up waits for VSO's sync (the default).
cfg gitops-platform:argocd '{"enabled":false}'
cfg gitops-platform:vso "$(jq -cn --arg a "$VAULT_ADDR" '{enabled:false,vaultAddress:$a,refreshAfter:"1h",syncTimeout:"2m"}')"
# previews: the generator polls every 30 s (the minimum); the script also asks for a refresh
cfg gitops-platform:previews '{"enabled":true,"services":["api-gateway","frontend"],"requeueAfterSeconds":30,"maxPreviews":3}'
cfg --secret gitops-platform:previewsGitlabToken "$GL_READ_TOKEN"
cfg gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:"ops",kubernetesHost:$host,kubernetesCaCert:$ca}')"

step "pulumi up (3 environments, 3 services)"
T_UP=$SECONDS
if run_pulumi up.log up --yes --skip-preview --stack "$STACK"; then
  ok "pulumi up succeeded in $(( SECONDS - T_UP ))s"; tail -n 6 "$WORK/up.log" >&2
else
  bad "pulumi up"; tail -n 60 "$WORK/up.log" >&2; tail -n 30 "$CLUSTER_DIR/logs/vso.log" >&2
fi

step "regsecret synced by VSO in every namespace (the preview one too)"
kv_json() { vget "secret/data/$REG_PATH" | jq -r '.data.data[".dockerconfigjson"]'; }
kv_version() { vget "secret/data/$REG_PATH" | jq -r '.data.metadata.version'; }
regsecret_matches() { # namespace: type, content == KV, version annotation == KV version
  local s; s=$(kubectl get secret regsecret -n "$1" -o json) || return 1
  jq -e --arg kv "$(kv_json)" --arg v "$(kv_version)" \
    '.type == "kubernetes.io/dockerconfigjson"
     and (.data[".dockerconfigjson"] | @base64d) == $kv
     and .metadata.annotations["gitops-platform/registry-kv-version"] == $v
     and (.data | keys) == [".dockerconfigjson"]' <<<"$s" >/dev/null
}
active_registry_token() { gl_active read_registry | jq -r .token; }
regsecret_token() { kubectl get secret regsecret -n "$1" -o json | jq -r --arg h "$REG_HOST" '.data[".dockerconfigjson"] | @base64d | fromjson | .auths[$h].password'; }
for env in "${ROWS[@]}"; do
  ns=$PREFIX-$env
  check "$ns/regsecret: kubernetes.io/dockerconfigjson, exactly the .dockerconfigjson and KV version in Vault (no _raw)" regsecret_matches "$ns"
  same_token() { [[ "$(regsecret_token "$1")" == "$(active_registry_token)" ]]; }
  check "$ns/regsecret holds the active read_registry deploy token" same_token "$ns"
done

step "Applications generated by the ApplicationSet controller"
apps_json() { kubectl get applications.argoproj.io -n argocd -o json; }
want_names=$(for s in "${SERVICES[@]}"; do for e in "${ENVS[@]}"; do echo "$s-$e"; done; done | sort | jq -Rsc 'split("\n") | map(select(. != ""))')
for _ in $(seq 1 60); do
  [[ "$(apps_json | jq -c '[.items[].metadata.name] | sort')" == "$want_names" ]] && break
  sleep 1
done
APPS=$(apps_json)
kubectl get applications.argoproj.io -n argocd -L gitops-platform/sync-wave >&2 || true
check "exactly the Applications <service>-<env>: $(jq -r 'join(" ")' <<<"$want_names")" \
  test "$(jq -c '[.items[].metadata.name] | sort' <<<"$APPS")" == "$want_names"
app_ok() { # service env wave repo
  jq -e --arg n "$1-$2" --arg ns "$PREFIX-$2" --arg env "$2" --arg svc "$1" --arg wave "$3" \
     --arg repo "https://gitlab.example.com/$GL_GROUP/$4.git" --arg project "$PREFIX" '
    .items[] | select(.metadata.name == $n) |
    .spec.project == $project
    and .spec.destination == {server: "https://kubernetes.default.svc", namespace: $ns}
    and .metadata.labels["gitops-platform/service"] == $svc
    and .metadata.labels["gitops-platform/environment"] == $env
    and .metadata.labels["gitops-platform/sync-wave"] == $wave
    and .spec.sources[0].chart == "app"
    and .spec.sources[0].helm.releaseName == $svc
    and .spec.sources[0].helm.valueFiles == ["$values/.cicd/default.yaml", ("$values/.cicd/" + $env + ".yaml")]
    and .spec.sources[1] == {repoURL: $repo, targetRevision: "HEAD", ref: "values"}' <<<"$APPS" >/dev/null
}
i=0
for s in "${SERVICES[@]}"; do
  repo=$s; [[ $s == frontend ]] && repo=web/frontend
  for e in "${ENVS[@]}"; do
    check "Application $s-$e: project $PREFIX, namespace $PREFIX-$e, wave $i, values .cicd/default.yaml + .cicd/$e.yaml from $repo.git" app_ok "$s" "$e" "$i" "$repo"
  done
  i=$((i + 1))
done
# RollingSync: the controller assigns each Application the step of its wave (1-based) and drives
# the syncs itself, so the generated Applications carry no automated sync policy.
# The controller records the steps in its status on a reconcile that sees the Applications (the
# one after it created them): wait for it, asking for a refresh now and then.
for i in $(seq 1 60); do
  APPSET_STATUS=$(kubectl get applicationsets.argoproj.io "$PREFIX-services" -n argocd -o json)
  [[ $(jq '.status.applicationStatus // [] | length' <<<"$APPSET_STATUS") -ge $(( ${#SERVICES[@]} * ${#ENVS[@]} )) ]] && break
  (( i % 10 == 1 )) && kubectl annotate applicationsets.argoproj.io "$PREFIX-services" -n argocd argocd.argoproj.io/application-set-refresh=true --overwrite >/dev/null 2>&1
  sleep 1
done
echo "[$NAME] RollingSync steps computed by the controller:" >&2
jq -r '.status.applicationStatus // [] | sort_by(.step, .application) | .[] | "  step \(.step)  \(.application)  \(.status)  \(.message // "")"' <<<"$APPSET_STATUS" >&2
steps_ok() {
  jq -e --argjson n "${#ENVS[@]}" '
    (.status.applicationStatus // []) as $s | ($s | length) == 3 * $n and
    all($s[]; .step == (if (.application | startswith("api-gateway-")) then "1"
                        elif (.application | startswith("auth-service-")) then "2" else "3" end))' <<<"$APPSET_STATUS" >/dev/null
}
check "RollingSync: wave 0 → step 1, wave 1 → step 2, wave 2 → step 3 for all ${#ENVS[@]} environments" steps_ok
# Nothing syncs them here (no application controller): the controller releases step 1 only and
# holds the later steps until step 1's Applications are healthy, which is the order promised.
order_ok() {
  jq -e '(.status.applicationStatus // []) as $s | ($s | length) > 0 and
    all($s[]; if .step == "1" then .status == "Pending" else .status == "Waiting" end)' <<<"$APPSET_STATUS" >/dev/null
}
check "RollingSync order: step 1 released (Pending), steps 2 and 3 held (Waiting) until step 1 is healthy" order_ok
check "with RollingSync the generated Applications carry no automated sync (the controller drives it)" \
  jq -e '[.items[].spec.syncPolicy.automated // empty] | length == 0' <<<"$APPS"

step "access matrix through real logins"
# HTTP status of a Vault call with token $1: method path [data]
vstatus() { local t=$1 m=$2 p=$3 d=${4:-}; curl -s -o /dev/null -w '%{http_code}' -X "$m" -H "X-Vault-Token: $t" ${d:+-d "$d"} "$VAULT_ADDR/v1/$p"; }
login_status() { # namespace serviceaccount role audience -> HTTP status of the login
  local jwt; jwt=$(kubectl create token "$2" -n "$1" --audience "$4") || { echo "no-token"; return; }
  curl -s -o /dev/null -w '%{http_code}' -X POST "$VAULT_ADDR/v1/auth/kubernetes/login" \
    -d "$(jq -cn --arg role "$3" --arg jwt "$jwt" '{role:$role,jwt:$jwt}')"
}
cell() { [[ $1 == 2* ]] && echo allow || echo deny; }
for env in "${ROWS[@]}"; do kubectl create serviceaccount intruder -n "$PREFIX-$env" >/dev/null; done
COLS=(login "read dev" "read staging" "read prod" "read preview" "read registry" "write own" "write registry" "login: other SA" "login: other ns" "login: aud api")
MATRIX="$WORK/access-matrix.txt" DIFF=0
printf '%-8s' role >"$MATRIX"; for c in "${COLS[@]}"; do printf '| %-15s' "$c" >>"$MATRIX"; done; echo >>"$MATRIX"
for idx in "${!ROWS[@]}"; do
  env=${ROWS[$idx]} ns=$PREFIX-${ROWS[$idx]} role=$PREFIX-${ROWS[$idx]}-default
  other_ns=$PREFIX-${ROWS[$(( (idx + 1) % ${#ROWS[@]} ))]}
  token=$(sa_login "$ns" default "$role" || true)
  got=("$(cell "$( [[ -n "$token" ]] && echo 200 || echo 403)")")
  want=(allow)
  for other in "${ROWS[@]}"; do
    got+=("$(cell "$(vstatus "${token:-none}" GET "secret/data/ops/api-gateway/$other/config")")")
    [[ $other == "$env" ]] && want+=(allow) || want+=(deny)
  done
  got+=("$(cell "$(vstatus "${token:-none}" GET "secret/data/$REG_PATH")")"); want+=(allow)
  got+=("$(cell "$(vstatus "${token:-none}" POST "secret/data/ops/api-gateway/$env/config" '{"data":{"x":"1"}}')")"); want+=(deny)
  got+=("$(cell "$(vstatus "${token:-none}" POST "secret/data/$REG_PATH" '{"data":{"x":"1"}}')")"); want+=(deny)
  # a ServiceAccount of the namespace that the role does not list
  got+=("$(cell "$(login_status "$ns" intruder "$role" vault)")"); want+=(deny)
  # the listed ServiceAccount name, but from another environment's namespace
  got+=("$(cell "$(login_status "$other_ns" default "$role" vault)")"); want+=(deny)
  # the right ServiceAccount with a token for another audience
  got+=("$(cell "$(login_status "$ns" default "$role" api)")"); want+=(deny)
  printf '%-8s' "$env" >>"$MATRIX"
  for k in "${!COLS[@]}"; do
    mark=${got[$k]}; [[ ${got[$k]} != "${want[$k]}" ]] && { mark="${got[$k]}!"; DIFF=$((DIFF + 1)); }
    printf '| %-15s' "$mark" >>"$MATRIX"
  done
  echo >>"$MATRIX"
done
cat "$MATRIX" >&2
echo "[$NAME] (! = differs from the expected matrix: allow own login, own reads and registry read; deny the rest)" >&2
check "access matrix: every cell as expected (${#ENVS[@]} environments + preview × ${#COLS[@]} checks)" test "$DIFF" == 0

step "preview --expect-no-changes"
if run_pulumi preview.log preview --expect-no-changes --diff --stack "$STACK"; then ok "second run changes nothing"
else bad "preview --expect-no-changes"; tail -n 40 "$WORK/preview.log" >&2; fi

step "rotation with the clock in the rotation window: no regsecret ever holds a token that is not active"
OLD_TOKEN=$(active_registry_token)
POLL="$WORK/regsecret-poll.tsv"
: >"$POLL"
# One sample: the active tokens first, then every regsecret; a sample is bad when a regsecret's
# registry password was not active before the secrets were read (so a revocation that lands
# between the two reads is never counted against the design).
poll_regsecrets() {
  local active secrets now
  while :; do
    active=$(gl_tokens | jq -c '[.[] | select(.revoked | not) | .token]') || { sleep 0.1; continue; }
    secrets=$(kubectl get secrets -A --field-selector metadata.name=regsecret -o json 2>/dev/null) || { sleep 0.1; continue; }
    now=$(date +%s.%N)
    jq -r --arg t "$now" --arg h "$REG_HOST" --arg old "$OLD_TOKEN" --argjson active "$active" '
      .items[] | (.data[".dockerconfigjson"] | @base64d | fromjson | .auths[$h].password) as $p |
      [$t, .metadata.namespace, (if $p == $old then "old" else "new" end),
       (if ($active | index($p)) then "active" else "INACTIVE" end)] | @tsv' <<<"$secrets" >>"$POLL"
    sleep 0.1
  done
}
poll_regsecrets & POLL_PID=$!
CLOCK=$(date -u -d "+$(( DT_DAYS - DT_ROTATE + 2 )) days" +%Y-%m-%dT%H:%M:%SZ)
T_ROT=$SECONDS
if GITOPS_PLATFORM_CLOCK=$CLOCK run_pulumi up-rotate.log up --yes --skip-preview --stack "$STACK"; then
  ok "up with the clock at $CLOCK succeeded in $(( SECONDS - T_ROT ))s"; grep -E 'GroupDeployToken|RegistrySecretSync|created|replaced|updated' "$WORK/up-rotate.log" | tail -n 12 >&2
else
  bad "rotation up"; tail -n 60 "$WORK/up-rotate.log" >&2
fi
sleep 1
kill "$POLL_PID" 2>/dev/null; wait "$POLL_PID" 2>/dev/null || true
NEW_TOKEN=$(active_registry_token)
check "the registry deploy token was rotated (a new token is the active one)" test "$NEW_TOKEN" != "$OLD_TOKEN"
old_gone() { ! gl_tokens | jq -e --arg t "$OLD_TOKEN" '.[] | select(.token == $t and (.revoked | not))' >/dev/null; }
check "the old token is no longer active (revoked by the up)" old_gone
# Per namespace: samples, samples with the old / new token, and the longest run of samples with
# a token that was not active (first to last bad sample of the run, plus one sampling interval).
REPORT=$(awk -F'\t' '
  { n[$2]++; if ($3 == "old") o[$2]++; else w[$2]++
    if ($4 == "INACTIVE") { if (!(($2) in start)) start[$2] = $1; last[$2] = $1; bad[$2]++
                            d = last[$2] - start[$2]; if (d > maxw[$2]) maxw[$2] = d; had[$2] = 1 }
    else delete start[$2] }
  END { for (ns in n) printf "%s %d %d %d %d %.3f\n", ns, n[ns], o[ns], w[ns], bad[ns], (had[ns] ? maxw[ns] : 0) }' "$POLL" | sort)
SAMPLES=$(wc -l <"$POLL")
SPAN=$(awk -F'\t' 'NR == 1 { a = $1 } { b = $1 } END { printf "%.1f", b - a }' "$POLL")
INTERVAL=$(awk -v n="$SAMPLES" -v s="$SPAN" -v k="${#ROWS[@]}" 'BEGIN { if (n > k) printf "%.0f", 1000 * s * k / n; else print "n/a" }')
echo "[$NAME] regsecret during the rotation ($SAMPLES samples over ${SPAN}s, one every ~${INTERVAL} ms per namespace):" >&2
echo "  namespace  samples  old-token  new-token  inactive  longest-window-s" >&2
awk '{ printf "  %-10s %7s %10s %10s %9s %17s\n", $1, $2, $3, $4, $5, $6 }' <<<"$REPORT" >&2
BAD=$(awk '{ s += $5 } END { print s + 0 }' <<<"$REPORT")
LONGEST=$(awk 'BEGIN { m = 0 } { if ($6 > m) m = $6 } END { print m }' <<<"$REPORT")
echo "[$NAME] longest window in which a regsecret held a token that was not active: ${LONGEST}s ($BAD bad samples)" >&2
check "no sample saw a regsecret holding a revoked or unknown token (longest window 0)" test "$BAD" == 0
saw_switch() { awk -v k="${#ROWS[@]}" '$3 > 0 && $4 > 0 { c++ } END { exit !(c == k) }' <<<"$REPORT"; }
check "the poll saw every namespace switch from the old token to the new one during the up" saw_switch
for env in "${ROWS[@]}"; do
  check "$PREFIX-$env/regsecret matches Vault after the rotation" regsecret_matches "$PREFIX-$env"
done
if GITOPS_PLATFORM_CLOCK=$CLOCK run_pulumi preview-rotated.log preview --expect-no-changes --diff --stack "$STACK"; then
  ok "after the rotation a further run changes nothing"
else bad "preview --expect-no-changes after the rotation"; tail -n 40 "$WORK/preview-rotated.log" >&2; fi

step "merge request previews: the pull-request generator against the GitLab double"
PREVIEW_NS=$PREFIX-preview PREVIEW_SET=$PREFIX-previews
uri() { jq -rn --arg v "$1" '$v|@uri'; }
mr() { curl -fsS -X POST -H 'Content-Type: application/json' "$GL_URL/_double/merge-requests?project=$(uri "$GL_GROUP/$1")" -d "$2" >/dev/null; }
refresh_previews() { kubectl annotate applicationsets.argoproj.io "$PREVIEW_SET" -n argocd argocd.argoproj.io/application-set-refresh=true --overwrite >/dev/null 2>&1 || true; }
preview_apps() { kubectl get applications.argoproj.io -n argocd -l gitops-platform/environment=preview -o json; }
# live preview Applications (deletion not requested), sorted names as a JSON list
live_previews() { preview_apps | jq -c '[.items[] | select(.metadata.deletionTimestamp == null) | .metadata.name] | sort'; }
wait_previews() { # expected JSON list; the generator lists merge requests on refresh and every 30 s
  local i; for i in $(seq 1 90); do
    [[ "$(live_previews)" == "$1" ]] && return 0
    (( i % 10 == 1 )) && refresh_previews
    sleep 1
  done; return 1
}
# The generator's token: Vault → VSO → the scm-creds Secret the ApplicationSet's tokenRef names.
scm_ok() {
  kubectl get secret "$PREVIEW_NS-scm" -n argocd -o json | jq -e --arg t "$GL_READ_TOKEN" \
    '.metadata.labels["argocd.argoproj.io/secret-type"] == "scm-creds" and (.data.token | @base64d) == $t and (.data | keys) == ["token"]' >/dev/null
}
for _ in $(seq 1 30); do scm_ok && break; sleep 1; done
check "VSO synced the generator's token (read_api) from Vault into argocd/$PREVIEW_NS-scm, labelled scm-creds, key token only" scm_ok
SHA_GW=$(openssl rand -hex 20) SHA_FE=$(openssl rand -hex 20)
mr api-gateway "$(jq -cn --arg s "$SHA_GW" '{iid:7,title:"feat: rate limits",labels:["preview"],sha:$s,source_branch:"feat/rate-limits"}')"
mr api-gateway '{"iid":8,"title":"chore: no preview asked","labels":["backend"]}'
mr web/frontend "$(jq -cn --arg s "$SHA_FE" '{iid:3,title:"feat: new header",labels:["ui","preview"],sha:$s}')"
mr auth-service '{"iid":5,"title":"a service without previews","labels":["preview"]}'
refresh_previews
wait_previews '["api-gateway-mr-7","frontend-mr-3"]' || true
kubectl get applications.argoproj.io -n argocd -l gitops-platform/environment=preview >&2 || true
check "labelled open merge requests yield exactly api-gateway-mr-7 and frontend-mr-3 (not the unlabelled !8, not auth-service without previews)" \
  test "$(live_previews)" == '["api-gateway-mr-7","frontend-mr-3"]'
preview_ok() { # application service iid sha repo
  preview_apps | jq -e --arg n "$1" --arg svc "$2" --arg iid "$3" --arg sha "$4" --arg ns "$PREVIEW_NS" --arg project "$PREFIX" \
     --arg repo "https://gitlab.example.com/$GL_GROUP/$5.git" '
    .items[] | select(.metadata.name == $n) |
    .spec.project == $project
    and .spec.destination.namespace == $ns
    and .metadata.finalizers == ["resources-finalizer.argocd.argoproj.io"]
    and .metadata.labels["gitops-platform/service"] == $svc
    and .metadata.labels["gitops-platform/merge-request"] == $iid
    and .spec.sources[0].helm.releaseName == $n
    and .spec.sources[0].helm.valueFiles == ["$values/.cicd/default.yaml", "$values/.cicd/preview.yaml"]
    and (.spec.sources[0].helm.parameters | map(select(.name == "image.tag"))[0].value) == ("mr-" + $iid + "-" + $sha[0:8])
    and .spec.sources[1] == {repoURL: $repo, targetRevision: $sha, ref: "values"}
    and .spec.syncPolicy.automated == {prune: true, selfHeal: true}' >/dev/null
}
check "api-gateway-mr-7: namespace $PREVIEW_NS, project $PREFIX, finalizer, image tag mr-7-<8 of the head sha>, values of the head commit" preview_ok api-gateway-mr-7 api-gateway 7 "$SHA_GW" api-gateway
check "frontend-mr-3: the same from web/frontend" preview_ok frontend-mr-3 frontend 3 "$SHA_FE" web/frontend
mr api-gateway '{"iid":7,"labels":[]}'
wait_previews '["frontend-mr-3"]' || true
check "the preview label removed from !7: api-gateway-mr-7 deleted by the controller" test "$(live_previews)" == '["frontend-mr-3"]'
mr web/frontend '{"iid":3,"state":"closed"}'
wait_previews '[]' || true
check "!3 closed: frontend-mr-3 deleted by the controller" test "$(live_previews)" == '[]'
# Argo CD's application controller (not run here) prunes what a deleted preview deployed and then
# drops the finalizer; the deletion requested above is what the ApplicationSet controller decides.
for a in $(preview_apps | jq -r '.items[].metadata.name'); do
  kubectl patch applications.argoproj.io "$a" -n argocd --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null || true
done
check "ApplicationSet controller logged no error for $PREVIEW_SET" \
  bash -c "! grep -E 'level=error' '$CLUSTER_DIR/logs/appset.log' | grep -F '$PREVIEW_SET' | grep -q ."

step "pulumi destroy"
if run_pulumi destroy.log destroy --yes --skip-preview --stack "$STACK"; then ok "pulumi destroy succeeded"
else bad "pulumi destroy"; tail -n 40 "$WORK/destroy.log" >&2; fi
no_apps() { local i; for i in $(seq 1 30); do [[ $(kubectl get applications.argoproj.io -n argocd -o name | wc -l) == 0 ]] && return 0; sleep 1; done; return 1; }
check "the ApplicationSet's Applications are gone (garbage-collected with it)" no_apps
# Not counted: a canceled context at shutdown, and optimistic-concurrency conflicts ("the object has
# been modified"), which controller-runtime retries at once (seen on VaultAuth status updates).
vso_errors() { grep -E '"level":"error"|ERROR' "$CLUSTER_DIR/logs/vso.log" | grep -v -e 'context canceled' -e 'the object has been modified' || true; }
if [[ -z "$(vso_errors)" ]]; then ok "VSO logged no error"
else
  bad "VSO logged errors ($(vso_errors | wc -l) lines; distinct messages below)"
  vso_errors | jq -rR 'fromjson? // . | if type == "object" then "\(.msg) \(.error // "")" else . end' | cut -c1-300 | sort | uniq -c | sort -rn | head -n 15 >&2
fi
pulumi stack rm --yes --force --stack "$STACK" >/dev/null 2>&1 || true

(( FAIL == 0 ))
