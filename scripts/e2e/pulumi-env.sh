# shellcheck shell=bash
# Offline Pulumi setup for the e2e tests. Source it (bash):
#   . scripts/e2e/pulumi-env.sh        # then: pulumi stack init ..., pulumi up ...
#   e2e_pulumi_cleanup                 # removes the temp PULUMI_HOME (state included)
#
# - PULUMI_HOME in a fresh temp dir, state in a file:// backend inside it, passphrase secrets
# - no update check, no plugin download, no registry lookups
# - Node >= 22 (scripts/ensure-node.sh) first on PATH, then the CLI and the language host
#   (hard links next to each other, because the CLI looks for bundled plugins next to its own
#   resolved executable), then the rest of the toolchain bin dir
# - the provider binaries registered with `pulumi plugin install ... --file` under the versions the
#   npm SDKs request (test/e2e/toolchain/versions.env)
# - pulumi-resource-pulumi-nodejs, the host of dynamic providers (GitLab deploy tokens): upstream
#   ships it as a small shell script in the release tarball, next to `pulumi`. The CLI looks for it
#   there (a "bundled" plugin: beside its own resolved executable; PULUMI_IGNORE_AMBIENT_PLUGINS
#   turns off the $PATH lookup), so it is written next to the CLI in $PULUMI_HOME/bin. It starts
#   the dynamic-provider host of the program's own @pulumi/pulumi (the engine runs it in the
#   program directory, so node resolves it from there).
# Needs the toolchain (scripts/e2e/toolchain.sh); E2E_BIN overrides its bin dir.

_e2e_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../test/e2e/toolchain/versions.env
. "$_e2e_root/test/e2e/toolchain/versions.env"
_e2e_bin="${E2E_BIN:-${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}/toolchain/bin}"

e2e_pulumi_setup() {
  local b
  for b in pulumi pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-vault; do
    if [[ ! -x "$_e2e_bin/$b" ]]; then
      echo "pulumi-env: $_e2e_bin/$b missing: run scripts/e2e/toolchain.sh first" >&2
      return 1
    fi
  done
  local node_bin
  if [[ -x "$_e2e_root/scripts/ensure-node.sh" || -f "$_e2e_root/scripts/ensure-node.sh" ]]; then
    node_bin=$(bash "$_e2e_root/scripts/ensure-node.sh") || return 1
  else
    node_bin=$(dirname "$(command -v node)")
  fi

  PULUMI_HOME=$(mktemp -d "${TMPDIR:-/tmp}/gitops-e2e-pulumi.XXXXXX") || return 1
  export PULUMI_HOME
  mkdir -p "$PULUMI_HOME/state" "$PULUMI_HOME/bin"
  for b in pulumi pulumi-language-nodejs; do
    ln "$(readlink -f "$_e2e_bin/$b")" "$PULUMI_HOME/bin/$b" 2>/dev/null \
      || cp "$(readlink -f "$_e2e_bin/$b")" "$PULUMI_HOME/bin/$b"
  done
  cat >"$PULUMI_HOME/bin/pulumi-resource-pulumi-nodejs" <<'PLUGIN'
#!/bin/sh
# Dynamic-provider host (as upstream's release tarball ships it): the program's @pulumi/pulumi.
script=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || exit 1
exec node "$script" "$@"
PLUGIN
  chmod 755 "$PULUMI_HOME/bin/pulumi-resource-pulumi-nodejs"
  export PULUMI_BACKEND_URL="file://$PULUMI_HOME/state"
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-e2e-passphrase}"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_DISABLE_REGISTRY_RESOLVE=true
  export PULUMI_SKIP_CONFIRMATIONS=true
  export PULUMI_IGNORE_AMBIENT_PLUGINS=true
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
  export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
  export PULUMI_COPILOT=false
  export PATH="$node_bin:$PULUMI_HOME/bin:$_e2e_bin:$PATH"

  pulumi plugin install resource kubernetes "$K8S_PROVIDER_REGISTER" \
    --file "$_e2e_bin/pulumi-resource-kubernetes" >/dev/null || return 1
  pulumi plugin install resource vault "$VAULT_PROVIDER_REGISTER" \
    --file "$_e2e_bin/pulumi-resource-vault" >/dev/null || return 1
  echo "pulumi-env: PULUMI_HOME=$PULUMI_HOME node $(node --version) pulumi $(pulumi version)" >&2
}

e2e_pulumi_cleanup() {
  if [[ -n "${PULUMI_HOME:-}" && "$PULUMI_HOME" == */gitops-e2e-pulumi.* ]]; then
    rm -rf "$PULUMI_HOME"
  fi
}

e2e_pulumi_setup
