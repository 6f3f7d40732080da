#!/usr/bin/env bash
# Socket.IO figures in one run, each beside the same figure for /ws/agent and for the Socket.IO peer
# (../shared/peer, the in-memory Node.js system printfleet replaces):
#  1. agents held by one gateway (one peer process), RSS per connection, CPU while they idle:
#     bench/gateway-capacity.sh with AGENT_PROTOCOL=websocket, then socketio, then the peer's
#     run-capacity.sh at the same count;
#  2. dispatch latency at RATE jobs/s: bench/compare-peer.sh with COMPARE_PROTOCOLS=websocket,socketio
#     (the peer, then printfleet with /ws/agent agents, then with Socket.IO agents).
# Prints one table and writes it under target/bench/socketio-<UTC time>/ with every side's report.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() {
  cat <<'EOF'
Usage: bench/socketio.sh [AGENTS] [RATE] [DURATION_S]      (defaults: 19900, 1000, 30)
  AGENTS      agents held by one gateway, on each side (1..19900: one process holds 20,000 files)
  RATE        jobs/s of the dispatch comparison (1,000 agents, as bench/compare-peer.sh)
  DURATION_S  seconds measured at that rate on each side, after a warm-up of the same length
              (COMPARE_WARMUP_S, default 20, rounded up to whole DURATION_S)
Needs what bench/gateway-capacity.sh and bench/compare-peer.sh need (a JDK 21+; node, npm and
redis-server for the peer). A side that fails is printed as such and the run goes on.
EOF
}
[[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && { usage; exit 0; }
(( $# <= 3 )) || { usage >&2; exit 2; }
AGENTS="${1:-19900}"
RATE="${2:-1000}"
DURATION="${3:-30}"
[[ "$AGENTS" =~ ^[0-9]+$ && "$AGENTS" -ge 1 && "$AGENTS" -le 19900 ]] || { echo "socketio: AGENTS must be 1..19900 (got '$AGENTS')" >&2; exit 2; }
for v in "$RATE" "$DURATION"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "socketio: RATE and DURATION_S must be whole numbers >= 1 (got '$v')" >&2; exit 2; }
done

# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
# shellcheck source=../scripts/peer-lib.sh
source "$ROOT/scripts/peer-lib.sh"

keep_report socketio
echo "Socket.IO beside /ws/agent and the peer ($(nproc) cores): ${AGENTS} agents held; dispatch at ${RATE} jobs/s for ${DURATION} s"
PEER_PROBLEM="$(peer_prereqs)"
[[ -n "$PEER_PROBLEM" ]] && echo "peer: cannot run: $PEER_PROBLEM" >&2

# 1. Capacity: printfleet's gateway with each protocol, then the peer.
CAPACITY="$WORK/capacity.tsv"
: >"$CAPACITY"
for proto in websocket socketio; do
  echo
  echo "== capacity: printfleet, ${proto} agents =="
  status=0
  AGENT_PROTOCOL="$proto" setsid bash "$ROOT/bench/gateway-capacity.sh" "$AGENTS" >"$WORK/capacity-$proto.log" 2>&1 &
  SIDE_PID=$!
  wait "$SIDE_PID" || status=$?
  SIDE_PID=""
  cp "$WORK/capacity-$proto.log" "$REPORT_DIR/capacity-$proto.log"
  grep -E '^(agents|gateway|  connected)' "$WORK/capacity-$proto.log" || true
  (( status == 0 )) || echo "printfleet capacity (${proto}) exited ${status}" >&2
  printf '%s\t%s\n' "$proto" "$REPORT_DIR/capacity-$proto.log" >>"$CAPACITY"
done

echo
echo "== capacity: the peer =="
peer_json=""
if [[ -n "$PEER_PROBLEM" ]]; then
  echo "peer capacity: $PEER_PROBLEM" >&2
elif port_busy 3000 || port_busy 16379; then
  echo "peer capacity: port 3000 or 16379 is in use (another peer running?)" >&2
else
  peer_out="$WORK/peer-capacity"
  mkdir -p "$peer_out/logs"
  PEER_REDIS_PIDFILE="$peer_out/logs/redis.pid"
  PEER_OUT="$peer_out" STEPS="$AGENTS" HOLD=30 setsid bash "$PEER_APP/run-capacity.sh" >"$WORK/peer-capacity.log" 2>&1 &
  SIDE_PID=$!
  wait "$SIDE_PID" || true
  SIDE_PID=""
  PEER_REDIS_PIDFILE=""
  cp "$WORK/peer-capacity.log" "$REPORT_DIR/peer-capacity.log"
  grep -E '^\{"target"' "$WORK/peer-capacity.log" || true
  peer_json="$(find "$peer_out/results" -name 'capacity*.json' 2>/dev/null | sort | tail -1 || true)"
  if [[ -n "$peer_json" ]]; then
    cp "$peer_json" "$REPORT_DIR/peer-capacity.json"
    peer_json="$REPORT_DIR/peer-capacity.json"
  else
    echo "peer capacity: no result: $(grep -v '^\s*$' "$WORK/peer-capacity.log" | tail -3 | tr '\n' ' ')" >&2
  fi
fi
printf '%s\t%s\n' "peer" "$peer_json" >>"$CAPACITY"

# 2. Dispatch: the peer, then printfleet with each protocol, through bench/compare-peer.sh.
echo
echo "== dispatch at ${RATE} jobs/s =="
compare_status=0
RATES="$RATE" COMPARE_PROTOCOLS=websocket,socketio setsid bash "$ROOT/bench/compare-peer.sh" "$DURATION" 1000 \
  >"$WORK/compare.log" 2>&1 &
SIDE_PID=$!
wait "$SIDE_PID" || compare_status=$?
SIDE_PID=""
cp "$WORK/compare.log" "$REPORT_DIR/compare-peer.log"
# compare-peer.sh's report directory: the newest one, made after this run started (its "table:" line
# goes through a tee that may not have flushed when the script's process ends).
compare_dir="$(find "$ROOT/target/bench" -maxdepth 1 -type d -name 'compare-peer-*' -newer "$REPORT_DIR/machine.json" 2>/dev/null | sort | tail -1)"
[[ -n "$compare_dir" && -s "$compare_dir/compare.json" ]] || compare_dir=""
(( compare_status == 0 )) && [[ -n "$compare_dir" ]] || echo "bench/compare-peer.sh exited ${compare_status}; log: $REPORT_DIR/compare-peer.log" >&2

echo
python3 - "$CAPACITY" "$REPORT_DIR" "$AGENTS" "${compare_dir:-}" <<'PY'
import json, re, sys
capacity, out_dir, agents, compare_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def printfleet(log):
    text = open(log).read()
    held = re.search(r"connections held by the gateway: (\d+)", text)
    rss = re.search(r"gateway RSS: ([\d.]+) MiB -> ([\d.]+) MiB = (-?[\d.]+) KiB per connection", text)
    heap = re.search(r"-> ([\d.]+) MiB with \d+ agents = ([-\d.]+) KiB per connection", text)
    cpu = re.search(r"idle \(20 s\): ([\d.]+) % of one core", text)
    if not held:
        return None
    return {"held": int(held.group(1)), "rssIdleMiB": float(rss.group(1)) if rss else None,
            "rssMiB": float(rss.group(2)) if rss else None, "rssKiBPerConnection": float(rss.group(3)) if rss else None,
            "heapKiBPerConnection": float(heap.group(2)) if heap else None,
            "idleCpuPercent": float(cpu.group(1)) if cpu else None}

def peer(path):
    step = json.load(open(path))["steps"][-1]
    rss, idle = step.get("serverRssMB"), step.get("serverRssIdleMB")
    n = step.get("connected") or 0
    return {"held": n, "rssIdleMiB": idle, "rssMiB": rss,
            "rssKiBPerConnection": round((rss - idle) * 1024 / n, 1) if n and rss is not None and idle is not None else None,
            "heapKiBPerConnection": None, "idleCpuPercent": (step.get("cpuHold") or {}).get("server1", {}).get("avg")}

rows = []
for line in open(capacity):
    side, path = (line.rstrip("\n").split("\t") + [""])[:2]
    try:
        figures = (peer if side == "peer" else printfleet)(path) if path else None
    except (OSError, KeyError, IndexError, TypeError, ValueError) as e:
        figures = None
    rows.append({"side": side, "figures": figures})

names = {"websocket": "printfleet, /ws/agent", "socketio": "printfleet, Socket.IO", "peer": "peer (Node.js Socket.IO)"}
v = lambda x: "-" if x is None else f"{x:g}"
md = [f"## Agents held by one gateway process ({agents} requested)", "",
      "| side | held | RSS idle → held, MiB | RSS per connection, KiB | heap per connection, KiB | CPU while held, % of a core |",
      "|---|---|---|---|---|---|"]
for r in rows:
    f = r["figures"]
    if f is None:
        md.append(f"| {names[r['side']]} | failed | | | | |")
    else:
        md.append(f"| {names[r['side']]} | {f['held']} | {v(f['rssIdleMiB'])} → {v(f['rssMiB'])} | {v(f['rssKiBPerConnection'])} | "
                  f"{v(f['heapKiBPerConnection'])} | {v(f['idleCpuPercent'])} |")
md += ["", "- printfleet: bench/gateway-capacity.sh (the gateway alone in its JVM with embedded Redis; agents idle, "
       "each answering the gateway's pings); the peer: its run-capacity.sh (one Node.js process; its agents send a status every 30 s).",
       "- The peer's RSS per connection includes its per-socket deflate context (per-message deflate is on in the peer, as in the original).", ""]
compare = {}
if compare_dir:
    try:
        md += ["## Dispatch", "", open(f"{compare_dir}/compare.md").read().split("\n", 2)[2]]
        compare = json.load(open(f"{compare_dir}/compare.json"))
    except (OSError, ValueError, IndexError) as e:
        md += ["## Dispatch", "", f"failed: unreadable bench/compare-peer.sh table in {compare_dir}: {e!r}"]
else:
    md += ["## Dispatch", "", "failed: bench/compare-peer.sh wrote no table"]
text = "\n".join(md) + "\n"
open(f"{out_dir}/socketio.md", "w").write("# Socket.IO beside /ws/agent and the peer, one run\n\n" + text)
json.dump({"capacity": rows, "dispatch": compare}, open(f"{out_dir}/socketio.json", "w"), indent=2)
print(text)
print(f"table: {out_dir}/socketio.md, {out_dir}/socketio.json")
PY
