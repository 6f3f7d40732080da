# Shared by the bench scripts that measure the Socket.IO peer (../shared/peer) beside printfleet:
# finding and installing it, and running each side in a process group of its own. Source it after
# scripts/bench-lib.sh (it uses WORK and extends its exit trap).

if [[ -z "${PEER_DIR:-}" ]]; then
  for d in "$ROOT/../shared/peer" "$ROOT/../../shared/peer" /work/shared/peer; do
    [[ -f "$d/run-dispatch.sh" ]] && { PEER_DIR="$(cd "$d" && pwd)"; break; }
  done
fi
PEER_APP="${PEER_APP:-${XDG_CACHE_HOME:-$HOME/.cache}/printfleet/peer}"

# The two sides run in process groups of their own, so an interrupted comparison stops them whole;
# the peer's Redis daemonizes out of its group and is stopped by the pid it wrote.
SIDE_PID=""
PEER_REDIS_PIDFILE=""
stop_side() {
  if [[ -n "$SIDE_PID" ]] && kill -0 "$SIDE_PID" 2>/dev/null; then
    kill -TERM -- "-$SIDE_PID" 2>/dev/null || true
    wait "$SIDE_PID" 2>/dev/null || true
  fi
  SIDE_PID=""
  if [[ -n "$PEER_REDIS_PIDFILE" && -s "$PEER_REDIS_PIDFILE" ]]; then
    kill "$(cat "$PEER_REDIS_PIDFILE")" 2>/dev/null || true
  fi
  PEER_REDIS_PIDFILE=""
}
peer_cleanup() { stop_side; bench_cleanup; }
trap peer_cleanup EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Debian's redis-server for the peer, installed the way scripts/test-prereqs.sh installs its tools.
# Prints why the peer cannot run, or nothing.
peer_prereqs() {
  [[ -n "${PEER_DIR:-}" && -f "$PEER_DIR/run-dispatch.sh" ]] || { echo "the peer is not found (set PEER_DIR)"; return; }
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "node and npm are not installed"
    return
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    local sudo=""
    if [[ "$(id -u)" != "0" ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
    if { [[ "$(id -u)" != "0" ]] && [[ -z "$sudo" ]]; } || ! command -v apt-get >/dev/null 2>&1; then
      echo "redis-server is not installed and there is no root to install it (apt-get install redis-server)"
      return
    fi
    echo "peer: installing redis-server from Debian's packages for the peer..." >&2
    # policy-rc.d keeps the packaged Redis from starting; the peer runs its own.
    local created_policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod +x /usr/sbin/policy-rc.d \
        && created_policy=1
    fi
    $sudo apt-get update -qq >&2 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1 || true
    [[ -n "$created_policy" ]] && $sudo rm -f /usr/sbin/policy-rc.d
    command -v redis-server >/dev/null 2>&1 || { echo "apt-get install redis-server failed"; return; }
  fi
  # The peer's directory is shared and read-only: its scripts run from a copy, where npm ci
  # (pinned by its package-lock.json) installs node_modules once.
  mkdir -p "$PEER_APP"
  cmp -s "$PEER_DIR/package-lock.json" "$PEER_APP/package-lock.json" 2>/dev/null || rm -rf "$PEER_APP/node_modules"
  local f
  for f in "$PEER_DIR"/*.js "$PEER_DIR"/*.json "$PEER_DIR"/*.sh; do
    cp -f "$f" "$PEER_APP/"
  done
  if [[ ! -d "$PEER_APP/node_modules/socket.io" ]]; then
    (cd "$PEER_APP" && npm ci --no-audit --no-fund >"$WORK/npm.log" 2>&1) || { echo "npm ci failed in $PEER_APP: $(tail -3 "$WORK/npm.log" | tr '\n' ' ')"; return; }
  fi
}

