#!/usr/bin/env bash
# Builds the e2e toolchain from the Go modules in test/e2e/toolchain/<family>/ and caches the
# binaries outside the clone:
#   ${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}/toolchain/<binary>-<hash>
# hash = sha256(family go.mod + go.sum + our *.go + go version + ldflags + tags + package).
# A warm run only hashes and re-links, so it takes seconds. At the end the bin dir (symlinks) is
# the only line printed on stdout (progress goes to stderr and the log):  .../toolchain/bin
#
# usage: scripts/e2e/toolchain.sh [binary ...]      (default: all)
#   servers and Pulumi: etcd kube-apiserver kube-controller-manager bao pulumi pulumi-language-nodejs
#   pulumi-resource-kubernetes pulumi-resource-vault; controllers: vault-secrets-operator argocd
#   E2E_GO_P=2           go build -p (both cores by default)
#   E2E_TOOLCHAIN_LOG    log file (default: <cache>/toolchain/toolchain.log; output also goes there
#                        when the script runs in the background)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TC="$ROOT/test/e2e/toolchain"
CACHE="${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}/toolchain"
BIN="$CACHE/bin"
LOG="${E2E_TOOLCHAIN_LOG:-$CACHE/toolchain.log}"
mkdir -p "$CACHE" "$BIN"
# shellcheck source=../../test/e2e/toolchain/versions.env
. "$TC/versions.env"

# progress (stdout and stderr) goes to stderr and the log; stdout carries only the bin dir at the end
exec 3>&1
exec > >(tee -a "$LOG" >&2) 2>&1
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-mod=readonly -trimpath"
# go.sum is committed; the proxy's checksum-database mirror lacks some of these modules, so never
# ask it about them (the go.sum hashes were recorded with this setting; see docs/e2e.md).
export GONOSUMDB="github.com/pulumi,github.com/openbao"
P="${E2E_GO_P:-2}"
GOVERSION=$(go env GOVERSION)

START=$(date +%s)
say() { printf '[toolchain %s +%ss] %s\n' "$(date +%H:%M:%S)" "$(( $(date +%s) - START ))" "$*"; }
say "go $GOVERSION, cache $CACHE, log $LOG"

# binary | family | package | tags | ldflags
KV="k8s.io/component-base/version"
spec() {
  case "$1" in
    etcd) echo "kube|go.etcd.io/etcd/server/v3||-s -w" ;;
    kube-apiserver|kube-controller-manager)
      echo "kube|k8s.io/kubernetes/cmd/$1||-s -w -X $KV.gitVersion=v$K8S_VERSION -X $KV.gitMajor=${K8S_VERSION%%.*} -X $KV.gitMinor=$(echo "$K8S_VERSION" | cut -d. -f2) -X $KV.gitTreeState=clean" ;;
    bao) echo "openbao|github.com/openbao/openbao||-s -w -X github.com/openbao/openbao/version.fullVersion=$OPENBAO_VERSION" ;;
    pulumi) echo "pulumi|github.com/pulumi/pulumi/pkg/v3/cmd/pulumi|osusergo,grpcnotrace|-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" ;;
    pulumi-language-nodejs) echo "pulumi|./langhost||-s -w -X main.version=$PULUMI_VERSION" ;;
    pulumi-resource-kubernetes) echo "provider-kubernetes|.||-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_REGISTER" ;;
    pulumi-resource-vault) echo "provider-vault|.||-s -w -X main.version=$VAULT_PROVIDER_REGISTER" ;;
    # "@<module>:<package>": built inside that required module's own root (its replaces apply)
    vault-secrets-operator) echo "operators|@github.com/hashicorp/vault-secrets-operator:.||-s -w" ;;
    argocd) echo "operators|@github.com/argoproj/argo-cd/v3:./cmd||-s -w -X github.com/argoproj/argo-cd/v3/common.version=$ARGOCD_VERSION" ;;
    *) echo "unknown binary: $1" >&2; return 1 ;;
  esac
}
ALL=(etcd kube-apiserver kube-controller-manager bao pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-vault vault-secrets-operator argocd)
TARGETS=("${@:-${ALL[@]}}")

# Generated embed files (gitignored) for the providers' own main.go.
gen_embeds() {
  local fam=$1 dir=$2
  case "$fam" in
    provider-kubernetes)
      local src
      src=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes
      jq -c --arg v "$K8S_PROVIDER_REGISTER" '.version = $v' "$src/schema.json" > "$dir/schema-embed.json"
      jq -c . "$src/terraform-mapping.json" > "$dir/terraform-mapping-embed.json"
      ;;
  esac
}

# "@<module>:<package>" builds <package> in the module cache copy of <module> (the version the
# family's go.mod requires, checked against its go.sum); anything else builds in the family dir.
build_dir() {
  local dir=$1 pkg=$2 mod
  if [[ $pkg == @* ]]; then
    mod=${pkg#@}; mod=${mod%%:*}
    (cd "$dir" && go list -m -f '{{.Dir}}' "$mod")
  else
    echo "$dir"
  fi
}
build_pkg() { if [[ $1 == @* ]]; then echo "${1#*:}"; else echo "$1"; fi; }

hash_inputs() {
  local name=$1 fam=$2 pkg=$3 tags=$4 ld=$5 dir="$TC/$2"
  {
    printf '%s\n' "$name" "$pkg" "$tags" "$ld" "$GOVERSION" "CGO_ENABLED=$CGO_ENABLED" "$GOFLAGS"
    cat "$dir/go.mod" "$dir/go.sum"
    find "$dir" -name '*.go' -not -name '*_test.go' | LC_ALL=C sort | xargs -r cat
  } | sha256sum | cut -c1-16
}

# Fast path without the lock: every target already built (a caller needing only the servers goes on
# while another one builds the controllers).
all_cached() {
  local name fam pkg tags ld
  for name in "${TARGETS[@]}"; do
    IFS='|' read -r fam pkg tags ld < <(spec "$name") || return 1
    [[ -f "$TC/$fam/go.mod" && -x "$CACHE/$name-$(hash_inputs "$name" "$fam" "$pkg" "$tags" "$ld")" ]] || return 1
  done
}
if all_cached; then
  for name in "${TARGETS[@]}"; do
    IFS='|' read -r fam pkg tags ld < <(spec "$name")
    ln -sfn "../$name-$(hash_inputs "$name" "$fam" "$pkg" "$tags" "$ld")" "$BIN/$name"
  done
  say "all ${#TARGETS[@]} cached (${TARGETS[*]}); bin dir: $BIN"
  echo "$BIN" >&3
  exit 0
fi

# One build at a time (a second caller waits, then finds the cache warm).
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  say "another build holds $CACHE/.lock, waiting..."
  flock 9
fi

FAILED=() MISSING=()
K=0
for name in "${TARGETS[@]}"; do
  K=$((K + 1))
  IFS='|' read -r fam pkg tags ld < <(spec "$name")
  dir="$TC/$fam"
  if [[ ! -f "$dir/go.mod" ]]; then
    say "SKIP $name: no Go module at ${dir#"$ROOT"/} (not buildable here, see docs/e2e.md)"
    MISSING+=("$name"); rm -f "$BIN/$name"; continue
  fi
  h=$(hash_inputs "$name" "$fam" "$pkg" "$tags" "$ld")
  out="$CACHE/$name-$h"
  if [[ -x "$out" ]]; then
    say "[$K/${#TARGETS[@]}] cached $name ($(basename "$out"))"
  else
    say "[$K/${#TARGETS[@]}] building $name from ${dir#"$ROOT"/} ($pkg) ..."
    t0=$(date +%s)
    if ( cd "$dir" && go mod download && gen_embeds "$fam" "$dir" \
         && cd "$(build_dir "$dir" "$pkg")" \
         && go build -p "$P" ${tags:+-tags "$tags"} -ldflags "$ld" -o "$out.tmp.$$" "$(build_pkg "$pkg")" ); then
      mv -f "$out.tmp.$$" "$out"
      say "built $name in $(( $(date +%s) - t0 ))s, $(du -m "$out" | cut -f1) MB"
      # keep only the newest build of each binary
      find "$CACHE" -maxdepth 1 -regextype posix-extended -regex ".*/$name-[0-9a-f]{16}" \
        -not -name "$(basename "$out")" -delete
    else
      rm -f "$out.tmp.$$"
      say "FAILED $name after $(( $(date +%s) - t0 ))s"
      FAILED+=("$name"); continue
    fi
  fi
  ln -sfn "../$(basename "$out")" "$BIN/$name"
done

say "done in $(( $(date +%s) - START ))s; bin dir: $BIN"
((${#MISSING[@]})) && say "WARNING not available: ${MISSING[*]}"
if ((${#FAILED[@]})); then say "ERROR failed: ${FAILED[*]}"; exit 1; fi
echo "$BIN" >&3
