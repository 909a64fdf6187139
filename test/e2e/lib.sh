# shellcheck shell=bash
# Shared parts of the e2e scripts (smoke.sh, two-stacks.sh). Source it from a script that has set
# ROOT (the checkout) and NAME (the script's short name for messages); then:
#   e2e_preflight               node_modules and CRD fixtures present (exits 0 with SKIP otherwise)
#   e2e_start                   toolchain, cluster (etcd + kube-apiserver + kcm + OpenBao), offline
#                               Pulumi, a throw-away project dir WORK (links to this checkout), the
#                               GitLab API double; an EXIT trap stops everything and prints
#                               "NAME: N passed, N failed"
#   step / ok / bad / check     progress and the pass/fail counters
#   vget PATH / vcurl ARGS      Vault HTTP API with the root token
#   sa_login NS SA ROLE [MOUNT] a real ServiceAccount token logs in to Vault; prints the client token
#   stack_cfg STACK ARGS        pulumi config set for that stack
#   run_pulumi LOG ARGS         runs pulumi ARGS --non-interactive in WORK, output to WORK/LOG
#   drift_check STACK LABEL RC  the read-only drift check (ops/drift.ts) must exit RC and leave the
#                               exported state byte-identical; reports in WORK/reports/LABEL
# Stacks listed in E2E_STACKS are destroyed by the trap when the script fails.

T0=$SECONDS
PASS=0 FAIL=0
# toolchain binaries every script needs (scripts/e2e/toolchain.sh names)
E2E_SERVERS="etcd kube-apiserver kube-controller-manager bao pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-vault"
E2E_STACKS=()
CLUSTER_DIR="" WORK="" GL_PID=""

step() { printf '\n[%s +%ss] %s\n' "$NAME" "$(( SECONDS - T0 ))" "$*" >&2; }
ok() { PASS=$((PASS + 1)); printf '[%s] ok - %s\n' "$NAME" "$*" >&2; }
bad() { FAIL=$((FAIL + 1)); printf '[%s] FAIL - %s\n' "$NAME" "$*" >&2; }
check() { local what=$1; shift; if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi; }

e2e_preflight() {
  [[ -d "$ROOT/node_modules/@pulumi/pulumi" ]] || { echo "$NAME: run npm ci first (no node_modules)" >&2; exit 1; }
  # Without the operators' CRDs the API server rejects the program's custom resources. The fixture
  # folder lives beside the clone (shared/); when it is absent the test is skipped, saying why.
  # shellcheck source=../../scripts/e2e/crds.sh
  source "$ROOT/scripts/e2e/crds.sh"
  CRDS=$(crds_dir "$ROOT")
  if ! compgen -G "$CRDS/*.yaml" >/dev/null; then
    echo "[$NAME] SKIP - no CRD fixtures at $CRDS (set GITOPS_PLATFORM_CRDS)" >&2
    echo "$NAME: 0 passed, 0 failed, 1 skipped"
    exit 0
  fi
  export GITOPS_PLATFORM_CRDS="$CRDS"
}

e2e_cleanup() {
  local rc=$? s
  set +e
  if [[ -n "$WORK" && -d "$WORK" && $rc -ne 0 && -n "${PULUMI_HOME:-}" ]]; then
    for s in "${E2E_STACKS[@]}"; do
      step "cleanup after failure: pulumi destroy --stack $s"
      (cd "$WORK" && pulumi destroy --yes --non-interactive --stack "$s" >/dev/null 2>&1)
    done
  fi
  if [[ -n "$GL_PID" ]] && kill -0 "$GL_PID" 2>/dev/null; then
    kill -TERM "$GL_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$GL_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GL_PID" 2>/dev/null
  fi
  # the operators (scripts/e2e/operators.sh), when a script started them, before their API server
  [[ -n "$CLUSTER_DIR" ]] && E2E_CLUSTER_DIR=$CLUSTER_DIR bash "$ROOT/scripts/e2e/operators.sh" stop
  [[ -n "$CLUSTER_DIR" ]] && bash "$ROOT/scripts/e2e/cluster.sh" stop "$CLUSTER_DIR"
  declare -F e2e_pulumi_cleanup >/dev/null && e2e_pulumi_cleanup
  [[ -n "$WORK" ]] && rm -rf "$WORK"
  printf '[%s] wall time %ss\n' "$NAME" "$(( SECONDS - T0 ))" >&2
  if (( rc != 0 && FAIL == 0 )); then FAIL=1; echo "[$NAME] FAIL - aborted (exit $rc) before the checks finished" >&2; fi
  echo "$NAME: $PASS passed, $FAIL failed"
  exit "$rc"
}

# GitLab group and Owner API tokens of the double (set before e2e_start to change them).
GL_GROUP=${GL_GROUP:-e2e-group/platform}
GL_API_TOKEN="glpat-e2e-$(openssl rand -hex 12)" GL_API_TOKEN2="glpat-e2e-$(openssl rand -hex 12)"
# read_api, Reporter (what the preview ApplicationSet's generator token needs)
GL_READ_TOKEN="glpat-e2e-read-$(openssl rand -hex 12)"

e2e_start() {
  step "toolchain"
  # the servers and Pulumi; scripts/e2e/operators.sh finds or builds the controllers itself
  E2E_BIN=$(bash "$ROOT/scripts/e2e/toolchain.sh" $E2E_SERVERS | tail -n 1)
  export E2E_BIN
  trap e2e_cleanup EXIT

  step "cluster"
  eval "$(bash "$ROOT/scripts/e2e/cluster.sh" start)"
  CLUSTER_DIR=$E2E_CLUSTER_DIR
  # Helm installs are disabled in these stacks, so the operators are "installed out of band": their
  # CRDs come from the fixtures (cluster.sh) and their namespaces are created here, as they would be
  # by the operators' own installation.
  kubectl create namespace argocd >/dev/null
  kubectl create namespace vault-secrets-operator-system >/dev/null

  step "pulumi env"
  # shellcheck source=../../scripts/e2e/pulumi-env.sh
  . "$ROOT/scripts/e2e/pulumi-env.sh"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/gitops-e2e-project.XXXXXX")
  # The kubernetes provider writes a temp kubeconfig per process start and never removes it: keep
  # every temp file of this run inside WORK.
  mkdir "$WORK/tmp"
  export TMPDIR="$WORK/tmp"
  cp "$ROOT/Pulumi.yaml" "$WORK/"
  local f
  for f in stacks components node_modules package.json tsconfig.json; do
    [[ -e "$ROOT/$f" ]] && ln -s "$ROOT/$f" "$WORK/$f"
  done
  cd "$WORK"

  step "gitlab double"
  # The GitLab API double as its own process; the program reaches it through gitlab.apiUrl while
  # gitlab.host stays a host name (registry host, repo URLs). A nested group, Owner API tokens.
  mkdir "$WORK/gitlab-double"
  (cd "$ROOT" && exec setsid bash scripts/with-node.sh node --import tsx test/support/gitlab-double/main.ts \
    --group "$GL_GROUP" --owner-token "$GL_API_TOKEN" --owner-token "$GL_API_TOKEN2" --reader-token "$GL_READ_TOKEN" --url-file "$WORK/gitlab-double/url" \
    >"$WORK/gitlab-double/log" 2>&1 </dev/null) &
  GL_PID=$!
  for _ in $(seq 1 100); do [[ -s "$WORK/gitlab-double/url" ]] && break; kill -0 "$GL_PID" 2>/dev/null || break; sleep 0.2; done
  [[ -s "$WORK/gitlab-double/url" ]] || { cat "$WORK/gitlab-double/log" >&2; echo "$NAME: the GitLab double did not start" >&2; exit 1; }
  GL_URL=$(cat "$WORK/gitlab-double/url")
  echo "[$NAME] GitLab double at $GL_URL (pid $GL_PID), group $GL_GROUP" >&2
}

# every token of the group as the double stores it (values included), revoked ones too
gl_tokens() { curl -fsS "$GL_URL/_double/tokens?group=$(jq -rn --arg g "$GL_GROUP" '$g|@uri')"; }
# the active tokens with this scope: one JSON object per line
gl_active() { gl_tokens | jq -c --arg s "$1" '.[] | select((.revoked | not) and (.scopes == [$s]))'; }

vget() { curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" "$VAULT_ADDR/v1/$1"; }
vcurl() { curl -fsS -H "X-Vault-Token: $VAULT_TOKEN" "$@"; }

sa_login() { # namespace serviceaccount role [auth mount] -> Vault client token on stdout
  local jwt login
  jwt=$(kubectl create token "$2" -n "$1" --audience vault 2>/dev/null) || return 1
  login=$(curl -fsS -X POST "$VAULT_ADDR/v1/auth/${4:-kubernetes}/login" \
    -d "$(jq -cn --arg role "$3" --arg jwt "$jwt" '{role:$role,jwt:$jwt}')") || return 1
  jq -re '.auth.client_token' <<<"$login"
}

stack_cfg() { local s=$1; shift; pulumi config set --stack "$s" "$@" >/dev/null; }

run_pulumi() { # log file name, pulumi args...
  local log=$1; shift
  pulumi "$@" --non-interactive >"$WORK/$log" 2>&1
}

# The read-only drift check (npm run drift) on one stack: it must exit with the expected code and
# leave the exported state byte-identical. Reports in WORK/reports/LABEL, output in
# WORK/drift-LABEL.log; the exit code is left in DRIFT_RC.
DRIFT_RC=0
drift_check() { # stack label expected-exit
  local stack=$1 label=$2 want=$3 before after
  before=$(pulumi stack export --stack "$stack" | sha256sum)
  set +e
  (cd "$WORK" && node --import tsx "$ROOT/ops/drift.ts" --stack "$stack" --out "$WORK/reports/$label") >"$WORK/drift-$label.log" 2>&1
  DRIFT_RC=$?
  set -e
  after=$(pulumi stack export --stack "$stack" | sha256sum)
  if [[ "$DRIFT_RC" == "$want" ]]; then ok "drift check ($label) exits $want"
  else bad "drift check ($label) exits $DRIFT_RC, want $want"; cat "$WORK/drift-$label.log" >&2; fi
  if [[ "$before" == "$after" ]]; then ok "drift check ($label): exported state byte-identical before and after"
  else bad "drift check ($label) changed the state"; fi
}
