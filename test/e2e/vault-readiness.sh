#!/usr/bin/env bash
# End-to-end: a Vault that is not ready stops preview and up before anything is created, saying
# which problem it is and what to run (stacks/vaultPreflight.ts, components/vault/readiness.ts).
#   a. a token whose policy lacks capabilities the stack needs (read on sys/mounts; create,
#      update, delete on the environment's auth role): preview and up fail naming each path with
#      its missing capabilities and a policy to write; no namespace, no policy, no resource
#   b. the stack pointed at a second, uninitialised OpenBao (file storage, TCP listener on
#      127.0.0.1, started and stopped here): "not initialised", `bao operator init`
#   c. the dev OpenBao sealed (PUT sys/seal; last, a dev server is not unsealed easily): "sealed",
#      `vault operator unseal`
# Prints "vault-readiness: N passed, N failed" at the end. Needs node_modules (npm ci).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=vault-readiness
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start
BAO2_PID="" BAO2_DIR=""
stop_bao2() {
  if [[ -n "$BAO2_PID" ]] && kill -0 "$BAO2_PID" 2>/dev/null; then
    kill -TERM "$BAO2_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$BAO2_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BAO2_PID" 2>/dev/null || true
  fi
  BAO2_PID=""
}
# set +e first: under errexit a failing step in the trap would end it before e2e_cleanup stops the cluster.
trap 'rc=$?; set +e; stop_bao2; (exit $rc); e2e_cleanup' EXIT

STACK=e2e-ready
PREFIX=e2er
pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
stack_cfg "$STACK" kubernetes:kubeconfig "$KUBECONFIG"
stack_cfg "$STACK" vault:address "$VAULT_ADDR"
stack_cfg "$STACK" gitops-platform:namespacePrefix "$PREFIX"
stack_cfg "$STACK" gitops-platform:environments '{"dev":{}}'
stack_cfg "$STACK" gitops-platform:services '[{"name":"api-gateway"}]'
stack_cfg "$STACK" gitops-platform:gitlab "$(jq -cn --arg api "$GL_URL" --arg group "$GL_GROUP" \
  '{host:"gitlab.example.com",apiUrl:$api,group:$group,deployToken:{name:"e2e-ready"}}')"
stack_cfg "$STACK" --secret gitops-platform:gitlabToken "$GL_API_TOKEN"
stack_cfg "$STACK" gitops-platform:argocd '{"enabled":false}'
stack_cfg "$STACK" gitops-platform:vso '{"enabled":false,"waitForSync":false}'
stack_cfg "$STACK" gitops-platform:imageUpdater '{"enabled":false}'
stack_cfg "$STACK" gitops-platform:cloudflare '{"enabled":false}'
stack_cfg "$STACK" gitops-platform:vault "$(jq -cn --arg host "$E2E_KUBE_SERVER" --arg ca "$(cat "$E2E_KUBE_CA")" \
  '{kvMount:"secret",manageKvMount:false,pathPrefix:"e2er",kubernetesHost:$host,kubernetesCaCert:$ca}')"
ROLE=$PREFIX-dev-default

nothing_created() { # label
  check "$1: no namespace $PREFIX-dev" bash -c "! kubectl get namespace $PREFIX-dev"
  check "$1: no Vault policy $PREFIX-dev-read" bash -c "$(declare -f vget); ! vget sys/policies/acl/$PREFIX-dev-read"
  check "$1: no Vault role $ROLE" bash -c "$(declare -f vget); ! vget auth/kubernetes/role/$ROLE"
  check "$1: no resource in the stack state" \
    bash -c "[[ \$(pulumi stack export --stack $STACK | jq '.deployment.resources // [] | map(select(.type != \"pulumi:pulumi:Stack\" and (.type | startswith(\"pulumi:providers:\") | not))) | length') == 0 ]]"
}

step "a. a token without some capabilities"
# Everything, except read on sys/mounts (list only) and only read on the auth roles.
POLICY='path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "sys/mounts" { capabilities = ["list"] }
path "auth/kubernetes/role/*" { capabilities = ["read"] }'
vcurl -X PUT -d "$(jq -cn --arg p "$POLICY" '{policy:$p}')" "$VAULT_ADDR/v1/sys/policies/acl/e2e-partial" >/dev/null
PARTIAL=$(vcurl -X POST -d '{"policies":["e2e-partial"],"ttl":"1h"}' "$VAULT_ADDR/v1/auth/token/create" | jq -r .auth.client_token)
stack_cfg "$STACK" --secret vault:token "$PARTIAL"
for cmd in preview up; do
  args=(preview --stack "$STACK"); [[ $cmd == up ]] && args=(up --yes --skip-preview --stack "$STACK")
  if run_pulumi "a-$cmd.log" "${args[@]}"; then bad "a: pulumi $cmd succeeded with a partial token"; else ok "a: pulumi $cmd fails"; fi
  check "a: $cmd names vault:token and the missing capabilities" grep -q "vault:token: the token lacks capabilities the stack needs on 2 paths" "$WORK/a-$cmd.log"
  check "a: $cmd names sys/mounts (read)" grep -qF "sys/mounts (read)" "$WORK/a-$cmd.log"
  check "a: $cmd names auth/kubernetes/role/$ROLE (create, update, delete)" grep -qF "auth/kubernetes/role/$ROLE (create, update, delete)" "$WORK/a-$cmd.log"
  check "a: $cmd prints the policy to write" grep -qF "vault policy write gitops-platform-$STACK - <<'EOF'" "$WORK/a-$cmd.log"
  check "a: $cmd never prints the token" bash -c "! grep -qF '$PARTIAL' '$WORK/a-$cmd.log'"
done
grep -A12 "Vault is not ready" "$WORK/a-preview.log" >&2 || tail -n 30 "$WORK/a-preview.log" >&2
nothing_created "a"
# The policy the message prints, added next to the partial one, makes the check pass.
awk "/<<'EOF'/{f=1;next} /^[[:space:]]*EOF[[:space:]]*\$/{f=0} f" "$WORK/a-preview.log" | sed 's/^[[:space:]]*//' >"$WORK/grant.hcl"
cat "$WORK/grant.hcl" >&2
vcurl -X PUT -d "$(jq -cn --rawfile p "$WORK/grant.hcl" '{policy:$p}')" "$VAULT_ADDR/v1/sys/policies/acl/e2e-grant" >/dev/null
GRANTED=$(vcurl -X POST -d '{"policies":["e2e-partial","e2e-grant"],"ttl":"1h"}' "$VAULT_ADDR/v1/auth/token/create" | jq -r .auth.client_token)
stack_cfg "$STACK" --secret vault:token "$GRANTED"
if run_pulumi a-granted.log preview --stack "$STACK"; then ok "a: with the printed policy added, preview passes"
else bad "a: preview with the printed policy added"; tail -n 30 "$WORK/a-granted.log" >&2; fi
stack_cfg "$STACK" --secret vault:token "$VAULT_TOKEN"

step "b. an uninitialised OpenBao"
BAO2_DIR="$WORK/bao2"; mkdir -p "$BAO2_DIR/data"
BAO2_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$BAO2_DIR/config.hcl" <<EOF
storage "file" { path = "$BAO2_DIR/data" }
listener "tcp" {
  address     = "127.0.0.1:$BAO2_PORT"
  tls_disable = true
}
EOF
HOME="$BAO2_DIR" "$E2E_BIN/bao" server -config="$BAO2_DIR/config.hcl" >"$BAO2_DIR/log" 2>&1 </dev/null &
BAO2_PID=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$BAO2_PORT/v1/sys/seal-status" 2>/dev/null && break; sleep 0.2; done
check "b: the second OpenBao answers and is not initialised" \
  bash -c "curl -fsS http://127.0.0.1:$BAO2_PORT/v1/sys/seal-status | jq -e '.initialized == false'"
stack_cfg "$STACK" vault:address "http://127.0.0.1:$BAO2_PORT"
if run_pulumi b-preview.log preview --stack "$STACK"; then bad "b: preview succeeded against an uninitialised OpenBao"; else ok "b: preview fails"; fi
check "b: says not initialised and what to run" grep -qF "is not initialised: run \`vault operator init\` (or \`bao operator init\`)" "$WORK/b-preview.log"
check "b: names vault:address" grep -qF "vault:address: Vault at http://127.0.0.1:$BAO2_PORT" "$WORK/b-preview.log"
grep -A6 "Vault is not ready" "$WORK/b-preview.log" >&2 || tail -n 30 "$WORK/b-preview.log" >&2
stop_bao2
stack_cfg "$STACK" vault:address "$VAULT_ADDR"
nothing_created "b"

step "c. the dev OpenBao sealed"
vcurl -X PUT "$VAULT_ADDR/v1/sys/seal" >/dev/null
check "c: OpenBao reports sealed" bash -c "curl -fsS $VAULT_ADDR/v1/sys/seal-status | jq -e '.sealed == true'"
if run_pulumi c-preview.log preview --stack "$STACK"; then bad "c: preview succeeded against a sealed OpenBao"; else ok "c: preview fails"; fi
check "c: says sealed and what to run" grep -qF "is sealed: unseal it: \`vault operator unseal\`" "$WORK/c-preview.log"
check "c: gives the key threshold from seal-status" grep -qE "[0-9]+ of [0-9]+ keys" "$WORK/c-preview.log"
grep -A6 "Vault is not ready" "$WORK/c-preview.log" >&2 || tail -n 30 "$WORK/c-preview.log" >&2
check "c: no namespace $PREFIX-dev" bash -c "! kubectl get namespace $PREFIX-dev"
(( FAIL == 0 ))
