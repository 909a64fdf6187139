#!/usr/bin/env bash
# End-to-end test of the policy pack (policy/) through the real Pulumi CLI, offline:
#   1. toolchain, cluster (kube-apiserver + OpenBao) and offline Pulumi from test/e2e/lib.sh
#   2. the fixture program test/fixtures/policy-program in a throw-away dir, stack "prod"
#   3. pulumi preview --policy-pack policy: the fixture breaks every rule (GitLab token in a
#      ConfigMap and in a stack output, Vault policy on secret/data/*, unprotected Namespace in
#      prod); the preview must fail and name each policy, in its output and as policyEvents in the
#      engine event log (what the Automation API reads), without echoing the token
#      npm run preview-report --policy-pack on the same program exits 5, its note lists each policy
#   4. the same program fixed (policy-fixture:fixed true) passes
#   5. an unprotected Namespace fails prod-protect alone; with --policy-pack-config saying which
#      stacks are production (not this one) it passes
# Prints "policy: N passed, N failed". Needs node_modules (npm ci) in the checkout.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NAME=policy
# shellcheck source=lib.sh
. "$ROOT/test/e2e/lib.sh"
e2e_preflight
e2e_start

PACK="$ROOT/policy"
TOKEN=glpat-FixtureFixtureFixture01
POLICIES=(vault-policy-least-privilege no-secret-in-configmap no-secret-in-stack-outputs prod-protect)
FIX="$WORK/fixture"
mkdir "$FIX"
cp "$ROOT/test/fixtures/policy-program/"{Pulumi.yaml,package.json,index.ts} "$FIX/"
ln -s "$ROOT/node_modules" "$FIX/node_modules"
cd "$FIX"
STACK=prod
pulumi stack init "$STACK" --secrets-provider passphrase --non-interactive >/dev/null
stack_cfg "$STACK" kubernetes:kubeconfig "$KUBECONFIG"
stack_cfg "$STACK" vault:address "$VAULT_ADDR"
stack_cfg "$STACK" --secret vault:token "$VAULT_TOKEN"

# preview LOG [pulumi args...]: preview with the pack and an engine event log (the JSON events the
# Automation API reads; the CLI offers --event-log when PULUMI_DEBUG_COMMANDS is set, as the
# Automation API sets it); sets RC
preview() {
  local log=$1; shift
  RC=0
  PULUMI_DEBUG_COMMANDS=true pulumi preview --non-interactive --stack "$STACK" --policy-pack "$PACK" --event-log "$FIX/$log.events.jsonl" "$@" \
    >"$FIX/$log.log" 2>&1 || RC=$?
  if grep -q "RunPlugin not implemented" "$FIX/$log.log"; then
    bad "the language host cannot start policy packs (RunPlugin not implemented): test/e2e/toolchain/pulumi/langhost"
    exit 1
  fi
}
# mandatory policyEvents of one run's event log, as "policyName" lines
policy_events() { [[ -s "$FIX/$1.events.jsonl" ]] || { echo "no event log $1" >&2; return 1; }; jq -r 'select(.policyEvent and .policyEvent.enforcementLevel == "mandatory") | .policyEvent.policyName' "$FIX/$1.events.jsonl" | sort -u; }

step "preview of the fixture as it is: every rule broken"
preview bad
tail -n 40 "$FIX/bad.log" >&2
echo "[$NAME] exit code of the failing preview: $RC" >&2
if (( RC != 0 )); then ok "preview fails (exit $RC)"; else bad "preview passed despite the violations"; fi
for p in "${POLICIES[@]}"; do
  check "the output names $p" grep -q -- "$p" "$FIX/bad.log"
  check "the event log has a mandatory policyEvent of $p" bash -c "$(declare -f policy_events); FIX=$FIX; policy_events bad | grep -qx -- $p"
done
check "the ConfigMap violation names the key REGISTRY_LOGIN" grep -q 'data\."REGISTRY_LOGIN" holds a GitLab token' "$FIX/bad.log"
check "the Vault policy violation names the path secret/data/*" grep -qF 'path "secret/data/*" uses' "$FIX/bad.log"
check "the stack output violation names the output registryLogin" grep -q 'stack output "registryLogin" holds a GitLab token' "$FIX/bad.log"
check "policyEvents carry the pack name and the resource URN" \
  jq -se 'map(select(.policyEvent)) | length >= 4 and all(.policyEvent.policyPackName == "gitops-platform" and (.policyEvent.resourceUrn // "" | startswith("urn:pulumi:prod::policy-fixture::")))' \
  "$FIX/bad.events.jsonl"
check "no violation message echoes the token" bash -c "[[ -s '$FIX/bad.events.jsonl' ]] && ! jq -r 'select(.policyEvent) | .policyEvent.message' '$FIX/bad.events.jsonl' | grep -qF -- '$TOKEN'"
jq -c 'select(.policyEvent) | .policyEvent | {policyName, enforcementLevel, resourceUrn}' "$FIX/bad.events.jsonl" >&2 || true

step "the merge-request report (npm run preview-report --policy-pack) lists the violations"
RC=0
(cd "$FIX" && node --import tsx "$ROOT/ops/preview-report.ts" --stack "$STACK" --policy-pack "$PACK" --out "$FIX/reports") >"$FIX/report.log" 2>&1 || RC=$?
if (( RC == 5 )); then ok "preview-report exits 5 on mandatory violations"; else bad "preview-report exits $RC, want 5"; tail -n 30 "$FIX/report.log" >&2; fi
for p in "${POLICIES[@]}"; do
  check "the note lists $p as mandatory" grep -q "^| mandatory | \`gitops-platform/$p\`" "$FIX/reports/preview-$STACK.md"
done
check "the note and the JSON never carry the token" bash -c "! grep -rqF -- '$TOKEN' '$FIX/reports'"

step "preview of the fixed fixture"
stack_cfg "$STACK" policy-fixture:fixed true
preview fixed
tail -n 15 "$FIX/fixed.log" >&2
if (( RC == 0 )); then ok "preview of the fixed program passes"; else bad "preview of the fixed program failed (exit $RC)"; tail -n 40 "$FIX/fixed.log" >&2; fi
check "no mandatory policyEvent" bash -c "$(declare -f policy_events); FIX=$FIX; out=\$(policy_events fixed) && [[ -z \$out ]]"

step "prod-protect and --policy-pack-config"
stack_cfg "$STACK" policy-fixture:protectNamespace false
preview unprotected
if (( RC != 0 )) && [[ $(policy_events unprotected) == prod-protect ]]; then
  ok "an unprotected Namespace in stack prod fails prod-protect alone"
else
  bad "unprotected Namespace: exit $RC, policies: $(policy_events unprotected | tr '\n' ' ')"; tail -n 30 "$FIX/unprotected.log" >&2
fi
printf '%s\n' '{"prod-protect": {"prodStacks": ["live", "*-production"]}}' >"$FIX/pack-config.json"
preview configured --policy-pack-config "$FIX/pack-config.json"
if (( RC == 0 )); then ok "with prodStacks [live, *-production] the prod stack is not production: preview passes"; else bad "preview with --policy-pack-config failed (exit $RC)"; tail -n 30 "$FIX/configured.log" >&2; fi

(( FAIL == 0 ))
