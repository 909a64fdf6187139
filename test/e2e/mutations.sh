#!/usr/bin/env bash
# Proves the operators e2e (test/e2e/operators.sh) catches broken promises: each mutation below is
# applied to a throw-away clone of this checkout, the e2e runs there, and it must fail. Not part of
# `npm run e2e` (four full runs, about 4 minutes each on 2 cores); run it after changing the e2e:
#   bash test/e2e/mutations.sh [name ...]     (default: all)
# Prints one line per mutation: caught (the e2e failed, with its first FAIL line) or MISSED.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The clones live in a temp dir, where the default ../shared/fixtures/crds does not exist: pass this
# checkout's CRD fixtures as an absolute path (without them operators.sh would skip, and pass).
# shellcheck source=../../scripts/e2e/crds.sh
source "$ROOT/scripts/e2e/crds.sh"
CRDS=$(crds_dir "$ROOT")
compgen -G "$CRDS/*.yaml" >/dev/null || { echo "mutations: no CRD fixtures at $CRDS (set GITOPS_PLATFORM_CRDS)" >&2; exit 1; }
export GITOPS_PLATFORM_CRDS=$CRDS

# name | file | perl substitution | the promise it breaks
MUTATIONS=(
  'policy-widened|components/vault/policies.ts|s{/\+/\$\{a\.environment\}/\+"}{/*"}g|an environment policy widened to every path under the prefix'
  'audience-dropped|components/vault/EnvironmentAccess.ts|s{^(\s*)audience: args\.audience,}{$1audience: undefined,}m|the Vault role no longer checks the token audience'
  'vss-path-wrong|components/kubernetes/EnvironmentNamespace.ts|s{path: args\.registrySecretPath,}{path: pulumi.interpolate`\$\{args.registrySecretPath\}-typo`,}|the VaultStaticSecret reads a wrong KV path'
  'appset-template-typo|components/argocd/specs.ts|s{name: "\{\{\.service\}\}-\{\{\.env\}\}"}{name: "\{\{.service\}\}-\{\{.environment\}\}"}|an ApplicationSet template typo'
)
WANT=("$@")
rc=0
for m in "${MUTATIONS[@]}"; do
  IFS='|' read -r name file expr promise <<<"$m"
  if ((${#WANT[@]})) && [[ ! " ${WANT[*]} " == *" $name "* ]]; then continue; fi
  clone=$(mktemp -d "${TMPDIR:-/tmp}/gitops-mutation.XXXXXX")
  git clone -q "$ROOT" "$clone/repo"
  ln -s "$ROOT/node_modules" "$clone/repo/node_modules"
  # uncommitted changes of the checkout count too
  (cd "$ROOT" && git diff HEAD) | (cd "$clone/repo" && git apply --allow-empty 2>/dev/null || true)
  before=$(sha256sum "$clone/repo/$file")
  perl -0pi -e "$expr" "$clone/repo/$file"
  if [[ "$(sha256sum "$clone/repo/$file")" == "$before" ]]; then
    printf '%-22s NOT APPLIED (the pattern no longer matches %s)\n' "$name" "$file"; rc=1; rm -rf "$clone"; continue
  fi
  log="$clone/e2e.log"
  if (cd "$clone/repo" && bash test/e2e/operators.sh) >"$log" 2>&1; then
    if grep -qE '[1-9][0-9]* skipped' "$log"; then
      printf '%-22s NOT RUN: the e2e skipped (%s)\n' "$name" "$(grep -m1 -E 'skip' "$log")"; rc=1
    else
      printf '%-22s MISSED: %s — the e2e passed\n' "$name" "$promise"; rc=1
    fi
  else
    printf '%-22s caught: %s — %s\n' "$name" "$promise" "$(grep -m1 'FAIL -' "$log" | sed 's/^\[[^]]*\] //')"
  fi
  rm -rf "$clone"
done
exit "$rc"
