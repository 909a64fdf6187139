#!/usr/bin/env bash
# A throw-away local cluster for the e2e tests: etcd + kube-apiserver (+ kube-controller-manager)
# and OpenBao in dev mode, all on free 127.0.0.1 ports, state in one temp dir.
#
#   eval "$(scripts/e2e/cluster.sh start)"   # starts, waits until healthy, prints exports:
#        E2E_CLUSTER_DIR KUBECONFIG E2E_KUBE_SERVER E2E_KUBE_TOKEN E2E_KUBE_CA
#        VAULT_ADDR VAULT_TOKEN BAO_ADDR BAO_TOKEN
#   scripts/e2e/cluster.sh env  [DIR]        # prints the same exports again
#   scripts/e2e/cluster.sh stop [DIR]        # stops every process it started, removes DIR
#
# DIR defaults to $E2E_CLUSTER_DIR. Binaries come from $E2E_BIN (default: the toolchain bin dir,
# ${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}/toolchain/bin). CRDs are installed from
# ${GITOPS_PLATFORM_CRDS:-<repo>/../shared/fixtures/crds} (skipped with a warning when absent).
# E2E_KCM=0 skips kube-controller-manager (then namespace deletion never finishes).
# E2E_BAO_STORAGE=file runs OpenBao as a real server instead of dev mode: file storage in
# DIR/bao-data, a TCP listener on 127.0.0.1 without TLS, `bao operator init -key-shares=1
# -key-threshold=1` (keys and root token in DIR/bao-init.json, mode 600), unsealed, KV v2 enabled
# at secret/ like the dev server; VAULT_TOKEN/BAO_TOKEN are its root token. Its data survives a
# restart (below), and it comes back sealed, so `restart`/`resume` unseal it again.
#
#   scripts/e2e/cluster.sh restart NAME [DIR]   # stops one server and starts it again, same port,
#                                               # flags and data; waits until it is ready (OpenBao
#                                               # unsealed again). NAME: bao or kube-apiserver
#                                               # (also etcd, kube-controller-manager).
#                                               # E2E_DOWN_SECONDS (default 0): time it stays down.
#   scripts/e2e/cluster.sh halt NAME [DIR]      # only the stop half (for a test that acts while it
#   scripts/e2e/cluster.sh resume NAME [DIR]    # is down), and only the start half
#   E2E_STOP_SIGNAL (default TERM, e.g. KILL for a crash): the signal halt/restart send first.
# All logs: DIR/logs/*.log. Progress goes to stderr; only the exports go to stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE="${GITOPS_PLATFORM_CACHE:-$HOME/.cache/gitops-platform}"
BIN="${E2E_BIN:-$CACHE/toolchain/bin}"
# shellcheck source=crds.sh
source "$ROOT/scripts/e2e/crds.sh"
CRDS=$(crds_dir "$ROOT")

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start a daemon in its own session; remember its pid
spawn() {
  local name=$1; shift
  # the command line, for `restart` (same flags, ports and data)
  mkdir -p "$DIR/cmds"; printf '%q ' "$@" >"$DIR/cmds/$name"
  setsid "$@" >"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo "$!" >"$DIR/pids/$name"
}

wait_for() { # name timeout cmd...
  local name=$1 timeout=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - t0 > timeout )); then
      log "$name not ready after ${timeout}s; last log lines:"
      tail -n 30 "$DIR/logs/$name.log" >&2 || true
      return 1
    fi
    if [[ -f "$DIR/pids/$name" ]] && ! kill -0 "$(cat "$DIR/pids/$name")" 2>/dev/null; then
      log "$name exited; last log lines:"; tail -n 30 "$DIR/logs/$name.log" >&2 || true
      return 1
    fi
    sleep 0.3
  done
  log "$name ready ($(( SECONDS - t0 ))s)"
}

print_env() {
  cat "$DIR/env"
}

stop() {
  DIR=${1:-${E2E_CLUSTER_DIR:-}}
  [[ -n "$DIR" && -d "$DIR" ]] || die "no cluster dir (pass it or set E2E_CLUSTER_DIR)"
  [[ -f "$DIR/.e2e-cluster" ]] || die "$DIR is not an e2e cluster dir"
  local n pid pids=()
  # reverse start order: OpenBao, controller-manager, apiserver, etcd
  for n in bao kube-controller-manager kube-apiserver etcd; do
    [[ -f "$DIR/pids/$n" ]] || continue
    pid=$(cat "$DIR/pids/$n")
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); fi
    # give each a moment so that the apiserver can still reach etcd while it shuts down
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then log "pid $pid did not stop, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$DIR"
  log "stopped, removed $DIR"
}

# OpenBao with file storage, just started: `bao operator init` (1 key share), unseal, KV v2 at
# secret/ (as the dev server has it). Keys and root token in DIR/bao-init.json (mode 600).
bao_init_file() { # address
  local addr=$1
  wait_for bao 60 curl -fsS "$addr/v1/sys/seal-status"
  (umask 077; env HOME="$DIR/bao-home" BAO_ADDR="$addr" "$BIN/bao" operator init -key-shares=1 -key-threshold=1 \
    -format=json >"$DIR/bao-init.json" 2>"$DIR/logs/bao-init.log") \
    || { cat "$DIR/logs/bao-init.log" >&2; die "bao operator init failed"; }
  bao_unseal "$addr"
  local token; token=$(jq -r .root_token "$DIR/bao-init.json")
  curl -fsS -X POST -H "X-Vault-Token: $token" -d '{"type":"kv","options":{"version":"2"}}' \
    "$addr/v1/sys/mounts/secret" >/dev/null || die "could not enable KV v2 at secret/ on OpenBao"
  # a new KV v2 mount answers 400 ("upgrading") for a moment
  wait_for bao 30 curl -fsS -H "X-Vault-Token: $token" "$addr/v1/secret/config"
  log "OpenBao initialised (file storage, 1 key share), unsealed, KV v2 at secret/"
}

# Unseals OpenBao with the key in DIR/bao-init.json (the key goes on stdin, never on a command line).
bao_unseal() { # address
  local addr=$1
  jq -c '{key: .unseal_keys_b64[0]}' "$DIR/bao-init.json" | curl -fsS -X PUT -d @- "$addr/v1/sys/unseal" >/dev/null \
    || die "could not unseal OpenBao at $addr"
  wait_for bao 60 curl -fsS "$addr/v1/sys/health"
}

cluster_dir() { # [DIR]
  DIR=${1:-${E2E_CLUSTER_DIR:-}}
  [[ -n "$DIR" && -f "$DIR/.e2e-cluster" ]] || die "no e2e cluster dir at '$DIR' (pass it or set E2E_CLUSTER_DIR)"
}

# Stops one server of the cluster (E2E_STOP_SIGNAL, default TERM; KILL after 10 s).
halt_one() { # name [DIR]
  local name=$1 pid sig=${E2E_STOP_SIGNAL:-TERM}
  cluster_dir "${2:-}"
  [[ -n "$name" && -f "$DIR/pids/$name" && -f "$DIR/cmds/$name" ]] || die "no server '$name' in $DIR (bao, kube-apiserver, etcd, kube-controller-manager)"
  pid=$(cat "$DIR/pids/$name")
  if running "$pid"; then
    kill -"$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then
      log "$name (pid $pid) did not stop, killing"; kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do running "$pid" || break; sleep 0.1; done
    fi
  fi
  running "$pid" && die "$name (pid $pid) is still running after SIGKILL"
  log "$name stopped (SIG$sig, pid $pid)"
}

# the process exists and is not a zombie (an exited daemon whose new parent has not reaped it yet)
running() { # pid
  kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

# Starts a stopped server again with the command line it was first started with (same port, flags
# and data; log appended), and waits until it is ready. OpenBao with file storage is unsealed.
resume_one() { # name [DIR]
  local name=$1 pid
  cluster_dir "${2:-}"
  [[ -n "$name" && -f "$DIR/cmds/$name" ]] || die "no server '$name' in $DIR (bao, kube-apiserver, etcd, kube-controller-manager)"
  pid=$(cat "$DIR/pids/$name")
  running "$pid" && die "$name is still running (pid $pid): halt it first"
  local -a cmd
  eval "cmd=($(cat "$DIR/cmds/$name"))"
  echo "--- restarted $(date -u +%FT%TZ) ---" >>"$DIR/logs/$name.log"
  setsid "${cmd[@]}" >>"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo "$!" >"$DIR/pids/$name"
  # shellcheck disable=SC1091
  . "$DIR/env"
  case "$name" in
    bao)
      if [[ -f "$DIR/bao-init.json" ]]; then
        wait_for bao 60 curl -fsS "$VAULT_ADDR/v1/sys/seal-status"
        bao_unseal "$VAULT_ADDR"
      else
        wait_for bao 60 curl -fsS "$VAULT_ADDR/v1/sys/health"
      fi ;;
    kube-apiserver)
      wait_for kube-apiserver 120 curl -fsS --cacert "$E2E_KUBE_CA" -H "Authorization: Bearer $E2E_KUBE_TOKEN" "$E2E_KUBE_SERVER/readyz" ;;
    *) sleep 1; kill -0 "$(cat "$DIR/pids/$name")" 2>/dev/null || die "$name exited right after its restart (see $DIR/logs/$name.log)" ;;
  esac
  log "$name started again (pid $(cat "$DIR/pids/$name"))"
}

restart_one() { # name [DIR]
  halt_one "$1" "${2:-}"
  sleep "${E2E_DOWN_SECONDS:-0}"
  resume_one "$1" "${2:-}"
}

start() {
  for b in etcd kube-apiserver bao; do
    [[ -x "$BIN/$b" ]] || die "$BIN/$b missing: run scripts/e2e/toolchain.sh first (or set E2E_BIN)"
  done
  command -v openssl >/dev/null || die "openssl is required"
  DIR=$(mktemp -d "${TMPDIR:-/tmp}/gitops-e2e-cluster.XXXXXX")
  touch "$DIR/.e2e-cluster"
  mkdir -p "$DIR"/{logs,pids,pki,etcd,bao-home}
  # if anything below fails, tear down what was started
  trap 'rc=$?; if (( rc != 0 )); then log "start failed, cleaning up"; stop "$DIR" || true; fi' EXIT
  local t0=$SECONDS

  # --- PKI: CA, apiserver serving cert, service-account signing key, admin token ---
  local pki="$DIR/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gitops-e2e-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$pki/apiserver.ext"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  local token; token=$(openssl rand -hex 24)
  printf '%s,admin,admin-uid,"system:masters"\n' "$token" >"$pki/tokens.csv"
  chmod 600 "$pki"/*.key "$pki/tokens.csv"

  # --- etcd ---
  local etcd_port peer_port api_port bao_port
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port); bao_port=$(free_port)
  spawn etcd "$BIN/etcd" --name e2e --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "e2e=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn
  local bao_token storage=${E2E_BAO_STORAGE:-dev}
  if [[ "$storage" == file ]]; then
    # --- OpenBao server with file storage (initialised and unsealed below) ---
    mkdir -p "$DIR/bao-data"
    cat >"$DIR/bao.hcl" <<HCL
storage "file" {
  path = "$DIR/bao-data"
}
listener "tcp" {
  address     = "127.0.0.1:$bao_port"
  tls_disable = true
}
api_addr = "http://127.0.0.1:$bao_port"
HCL
    spawn bao env HOME="$DIR/bao-home" "$BIN/bao" server -config="$DIR/bao.hcl"
  elif [[ "$storage" == dev ]]; then
    # --- OpenBao dev server (KV v2 at secret/, root token) ---
    bao_token="root-$(openssl rand -hex 12)"
    spawn bao env HOME="$DIR/bao-home" "$BIN/bao" server -dev -dev-root-token-id="$bao_token" \
      -dev-listen-address="127.0.0.1:$bao_port" -dev-no-store-token
  else
    die "E2E_BAO_STORAGE=$storage: expected dev (the default) or file"
  fi
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"

  # --- kube-apiserver ---
  spawn kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --token-auth-file="$pki/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 --authorization-mode=RBAC \
    --profiling=false --enable-priority-and-fairness=false --audit-log-path="" \
    --endpoint-reconciler-type=none
  local kcurl=(curl -fsS --cacert "$pki/ca.crt" -H "Authorization: Bearer $token")
  local server="https://127.0.0.1:$api_port"
  wait_for kube-apiserver 120 "${kcurl[@]}" "$server/readyz"

  # --- kubeconfig ---
  local kubeconfig="$DIR/kubeconfig"
  cat >"$kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$pki/ca.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
KCFG
  chmod 600 "$kubeconfig"

  # --- kube-controller-manager: namespace deletion, default ServiceAccounts, SA tokens, GC ---
  if [[ "${E2E_KCM:-1}" != 0 && -x "$BIN/kube-controller-manager" ]]; then
    spawn kube-controller-manager "$BIN/kube-controller-manager" \
      --kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" --authorization-kubeconfig="$kubeconfig" \
      --bind-address=127.0.0.1 --secure-port=0 --leader-elect=false \
      --controllers=namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,resourcequota-controller \
      --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
      --use-service-account-credentials=false
    wait_for kube-controller-manager 60 "${kcurl[@]}" "$server/api/v1/namespaces/default/serviceaccounts/default"
  else
    log "kube-controller-manager not started (namespace deletion will not finish)"
  fi

  if [[ "$storage" == file ]]; then
    bao_init_file "http://127.0.0.1:$bao_port"
    bao_token=$(jq -r .root_token "$DIR/bao-init.json")
  else
    wait_for bao 60 curl -fsS "http://127.0.0.1:$bao_port/v1/sys/health"
  fi

  # --- CRDs ---
  if [[ -d "$CRDS" ]] && compgen -G "$CRDS/*.yaml" >/dev/null; then
    if command -v kubectl >/dev/null; then
      kubectl --kubeconfig "$kubeconfig" apply --server-side -f "$CRDS" >&2
      # right after creation a CRD has no status yet and `kubectl wait` errors out: retry
      local i
      for i in $(seq 1 60); do
        kubectl --kubeconfig "$kubeconfig" wait --for condition=established --timeout=30s crd --all >/dev/null 2>&1 && break
        (( i == 60 )) && die "CRDs not established"
        sleep 0.5
      done
      log "CRDs from $CRDS established"
    else
      die "kubectl not found (needed to install CRDs)"
    fi
  else
    log "WARNING: no CRDs at $CRDS; custom resources will be rejected"
  fi

  cat >"$DIR/env" <<ENV
export E2E_CLUSTER_DIR='$DIR'
export KUBECONFIG='$kubeconfig'
export E2E_KUBE_SERVER='$server'
export E2E_KUBE_TOKEN='$token'
export E2E_KUBE_CA='$pki/ca.crt'
export VAULT_ADDR='http://127.0.0.1:$bao_port'
export VAULT_TOKEN='$bao_token'
export BAO_ADDR='http://127.0.0.1:$bao_port'
export BAO_TOKEN='$bao_token'
ENV
  [[ "$storage" == file ]] && echo "export E2E_BAO_STORAGE='file'" >>"$DIR/env"
  trap - EXIT
  log "cluster up in $(( SECONDS - t0 ))s: apiserver $server, OpenBao http://127.0.0.1:$bao_port, dir $DIR"
  print_env
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  env) DIR=${2:-${E2E_CLUSTER_DIR:-}}; [[ -f "$DIR/env" ]] || die "no cluster at '$DIR'"; print_env ;;
  restart) restart_one "${2:-}" "${3:-}" ;;
  halt) halt_one "${2:-}" "${3:-}" ;;
  resume) resume_one "${2:-}" "${3:-}" ;;
  *) echo "usage: $0 start|stop [DIR]|env [DIR]|restart NAME [DIR]|halt NAME [DIR]|resume NAME [DIR]" >&2; exit 2 ;;
esac
