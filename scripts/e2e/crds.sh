# Sourced by the scripts that need the operators' CRD fixtures (cluster.sh, test/e2e/lib.sh,
# bench.sh, test/e2e/mutations.sh): where they are, in one place.

# crds_dir ROOT: the CRD fixtures folder as an absolute path: GITOPS_PLATFORM_CRDS (relative to ROOT
# when relative), else ROOT/../shared/fixtures/crds. Does not check that it holds any.
crds_dir() {
  local root=$1 dir="${GITOPS_PLATFORM_CRDS:-$1/../shared/fixtures/crds}"
  case "$dir" in /*) ;; *) dir="$root/$dir" ;; esac
  printf '%s\n' "$dir"
}
