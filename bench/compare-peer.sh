#!/usr/bin/env bash
# The Socket.IO peer (../shared/peer, the in-memory Node.js server printfleet replaces) and
# printfleet side by side on this machine: for each rate, the peer's run-dispatch.sh, then
# bench/dispatch.sh, with the same agents, rate, warm-up and measured duration. Prints one table
# (latency p50/p99/max, jobs/s, jobs not delivered, CPU seconds per 1,000 jobs, ratios) and writes
# it as JSON and Markdown under target/bench/compare-peer-<UTC time>/, with both sides' reports.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() {
  cat <<'EOF'
Usage: bench/compare-peer.sh [DURATION_S] [AGENTS]      (defaults: 30, 1000)
  DURATION_S  seconds measured at each rate, on each side, after its warm-up
  AGENTS      simulated agents on each side
Environment:
  RATES             jobs/s to compare, comma-separated (default 500,1000,2000)
  COMPARE_WARMUP_S  seconds of the same load first, not measured (default 20); the peer's load
                    client warms up in whole steps of DURATION_S, so both sides warm up for
                    DURATION_S x ceil(COMPARE_WARMUP_S / DURATION_S) seconds
  PEER_DIR          the peer (default ../shared/peer beside the repository, or /work/shared/peer)
  PEER_APP          where the peer is copied and its npm packages installed
                    (default ~/.cache/printfleet/peer; the peer's own directory stays untouched)
Needs node, npm and redis-server for the peer (redis-server is installed from Debian's packages
when missing and this runs as root), a JDK 21+ for printfleet. Uses ports 3000 and 16379 for the
peer (its scripts fix them); a side that fails is printed as such and the run goes on.
EOF
}
[[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && { usage; exit 0; }
(( $# <= 2 )) || { usage >&2; exit 2; }

DURATION="${1:-30}"
AGENTS="${2:-1000}"
RATES="${RATES:-500,1000,2000}"
WARMUP="${COMPARE_WARMUP_S:-20}"
for v in "$DURATION" "$AGENTS"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "compare-peer: DURATION_S and AGENTS must be whole numbers >= 1 (got '$v')" >&2; usage >&2; exit 2; }
done
[[ "$RATES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "compare-peer: RATES must be whole numbers >= 1, comma-separated (got '$RATES')" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "compare-peer: COMPARE_WARMUP_S must be a whole number (got '$WARMUP')" >&2; exit 2; }
WARMUP_STEPS=$(( (WARMUP + DURATION - 1) / DURATION ))
WARMUP_S=$(( WARMUP_STEPS * DURATION ))

if [[ -z "${PEER_DIR:-}" ]]; then
  for d in "$ROOT/../shared/peer" "$ROOT/../../shared/peer" /work/shared/peer; do
    [[ -f "$d/run-dispatch.sh" ]] && { PEER_DIR="$(cd "$d" && pwd)"; break; }
  done
fi
PEER_APP="${PEER_APP:-${XDG_CACHE_HOME:-$HOME/.cache}/printfleet/peer}"

# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

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
compare_cleanup() { stop_side; bench_cleanup; }
trap compare_cleanup EXIT

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
    echo "compare-peer: installing redis-server from Debian's packages for the peer..." >&2
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

keep_report compare-peer
echo "printfleet vs the Socket.IO peer ($(nproc) cores): rates ${RATES} jobs/s, ${AGENTS} agents, ${DURATION} s measured after ${WARMUP_S} s of the same load on each side"
PEER_PROBLEM="$(peer_prereqs)"
[[ -n "$PEER_PROBLEM" ]] && echo "peer: cannot run: $PEER_PROBLEM" >&2

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
IFS=, read -r -a RATE_LIST <<<"$RATES"
for rate in "${RATE_LIST[@]}"; do
  echo
  echo "== ${rate} jobs/s =="
  # The peer: WARMUP_STEPS steps at the rate, then the measured one, in one run of its client.
  peer_json="" peer_error=""
  if [[ -n "$PEER_PROBLEM" ]]; then
    peer_error="$PEER_PROBLEM"
  elif port_busy 3000; then
    peer_error="port 3000 is in use (another peer running?)"
  elif port_busy 16379; then
    peer_error="port 16379 is in use (another peer's Redis?)"
  else
    peer_rates="$rate"
    for _ in $(seq 1 "$WARMUP_STEPS"); do peer_rates="$rate,$peer_rates"; done
    peer_out="$WORK/peer-$rate"
    mkdir -p "$peer_out/logs"
    PEER_REDIS_PIDFILE="$peer_out/logs/redis.pid"
    echo "peer: run-dispatch.sh RATES=$peer_rates DURATION=$DURATION --agents=$AGENTS"
    PEER_OUT="$peer_out" RATES="$peer_rates" DURATION="$DURATION" \
      setsid bash "$PEER_APP/run-dispatch.sh" --agents="$AGENTS" \
      --max-seconds=$(( (WARMUP_STEPS + 1) * (DURATION + 30) + 120 )) >"$WORK/peer-$rate.log" 2>&1 &
    SIDE_PID=$!
    wait "$SIDE_PID" || true
    SIDE_PID=""
    PEER_REDIS_PIDFILE=""
    peer_json="$(find "$peer_out/results" -name 'dispatch-*.json' 2>/dev/null | sort | tail -1 || true)"
    if [[ -n "$peer_json" ]]; then
      cp "$peer_json" "$REPORT_DIR/peer-$rate.json"
      peer_json="$REPORT_DIR/peer-$rate.json"
      grep -E '^\{"rate"' "$WORK/peer-$rate.log" | tail -1 || true
    else
      peer_error="no result from run-dispatch.sh: $(grep -v '^\s*$' "$WORK/peer-$rate.log" | tail -3 | tr '\n' ' ')"
    fi
    cp "$WORK/peer-$rate.log" "$REPORT_DIR/peer-$rate.log"
  fi
  [[ -n "$peer_error" ]] && echo "peer at ${rate} jobs/s failed: $peer_error" >&2

  # printfleet: bench/dispatch.sh with the same warm-up, duration and agents.
  pf_json="" pf_error=""
  echo "printfleet: DISPATCH_WARMUP_S=$WARMUP_S bench/dispatch.sh $rate $DURATION $AGENTS"
  pf_status=0
  DISPATCH_WARMUP_S="$WARMUP_S" setsid bash "$ROOT/bench/dispatch.sh" "$rate" "$DURATION" "$AGENTS" >"$WORK/printfleet-$rate.log" 2>&1 &
  SIDE_PID=$!
  wait "$SIDE_PID" || pf_status=$?
  SIDE_PID=""
  cp "$WORK/printfleet-$rate.log" "$REPORT_DIR/printfleet-$rate.log"
  grep -E '^(accepted|latency|            POST|all service)' "$WORK/printfleet-$rate.log" || true
  pf_report="$(sed -n 's/^report: \([^ ]*\.json\).*/\1/p' "$WORK/printfleet-$rate.log" | tail -1)"
  if [[ -n "$pf_report" && -s "$ROOT/$pf_report" ]]; then
    cp "$ROOT/$pf_report" "$REPORT_DIR/printfleet-$rate.json"
    pf_json="$REPORT_DIR/printfleet-$rate.json"
    (( pf_status == 0 )) || pf_error="bench/dispatch.sh exited $pf_status (1: lost jobs)"
  else
    pf_error="bench/dispatch.sh exited $pf_status without a report: $(grep -v '^\s*$' "$WORK/printfleet-$rate.log" | tail -3 | tr '\n' ' ')"
  fi
  [[ -n "$pf_error" ]] && echo "printfleet at ${rate} jobs/s: $pf_error" >&2
  printf '%s\t%s\t%s\t%s\t%s\n' "$rate" "$peer_json" "$peer_error" "$pf_json" "$pf_error" >>"$RESULTS"
done

echo
python3 - "$RESULTS" "$REPORT_DIR" "$DURATION" "$AGENTS" "$WARMUP_S" <<'PY'
import json, sys
results, out_dir, duration, agents, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def peer_side(path):
    run = json.load(open(path))
    step = run["steps"][-1]  # the earlier steps are the warm-up
    lat = step["latencyFromSend"]
    wall = step["wallS"] or duration
    # load.js samples each process's utime+stime over the step: avg is % of one core.
    procs = {k: v["avg"] for k, v in step["cpu"].items() if (k.startswith("server") or k == "redis") and v["avg"] is not None}
    cpu_s = sum(procs.values()) / 100 * wall
    ok = step["ok"]
    return {"latency": "POST /jobs -> agent -> ack -> HTTP 200 (from send)",
            "p50": lat.get("p50"), "p99": lat.get("p99"), "max": lat.get("max"), "count": lat.get("count", 0),
            "jobsPerS": round(ok / wall, 1) if wall else None, "submitted": step["total"], "delivered": ok,
            "notDelivered": step["total"] - ok, "answers": step["codes"],
            "cpuSeconds": round(cpu_s, 2), "cpuPerThousandJobs": round(cpu_s / ok * 1000, 3) if ok else None,
            "cpuProcesses": {k: f"{v} % of a core over {wall} s" for k, v in procs.items()}, "wallS": wall}

def printfleet_side(path):
    r = json.load(open(path))
    lat, acc = r["latencyMs"]["postToAgent"], r["latencyMs"]["postTo201"]
    received = r["receivedByAgents"]
    # seconds from the first POST to the last second in which a job reached an agent
    busy = [t["s"] for t in r.get("timeline", []) if t.get("received")]
    wall = (max(busy) + 1) if busy else r["durationS"]
    cpu = r.get("servicesCpu") or {}
    return {"latency": "POST /api/v1/jobs -> job frame at the agent", "p50": lat.get("p50"), "p99": lat.get("p99"),
            "max": lat.get("max"), "count": lat.get("count", 0),
            "postTo201": {"p50": acc.get("p50"), "p99": acc.get("p99"), "max": acc.get("max")},
            "jobsPerS": round(received / wall, 1), "submitted": r["submitted"], "accepted": r["accepted"],
            "delivered": received, "notDelivered": r["submitted"] - received, "lost": r["lost"],
            "cpuSeconds": cpu.get("seconds"), "cpuPerThousandJobs": cpu.get("perThousandJobs"),
            "cpuProcesses": cpu.get("processes"), "wallS": wall}

rows = []
for line in open(results):
    rate, pj, pe, fj, fe = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
    row = {"rate": int(rate), "peer": None, "printfleet": None, "peerError": pe or None, "printfleetError": fe or None}
    for side, path, fn in (("peer", pj, peer_side), ("printfleet", fj, printfleet_side)):
        if path:
            try:
                row[side] = fn(path)
            except (KeyError, IndexError, TypeError, ValueError, json.JSONDecodeError) as e:
                row[side + "Error"] = f"unreadable report {path}: {e!r}"
    p, f = row["peer"], row["printfleet"]
    ratio = lambda a, b: round(a / b, 2) if a is not None and b else None
    row["ratios"] = {"p99PeerOverPrintfleet": ratio(p and p["p99"], f and f["p99"]),
                     "p50PeerOverPrintfleet": ratio(p and p["p50"], f and f["p50"]),
                     "cpuPerJobPeerOverPrintfleet": ratio(p and p["cpuPerThousandJobs"], f and f["cpuPerThousandJobs"])}
    rows.append(row)

def v(x, unit=""):
    return "-" if x is None else f"{x:g}{unit}"
def side(s, *keys):
    return ["failed"] * len(keys) if s is None else [v(s[k]) for k in keys]

head = ["jobs/s", "peer p50", "peer p99", "peer max", "printfleet p50", "printfleet p99", "printfleet max",
        "p99 peer / printfleet", "printfleet POST→201 p50 / p99", "jobs/s peer / printfleet",
        "not delivered peer / printfleet", "CPU s per 1,000 jobs peer / printfleet", "CPU peer / printfleet"]
table = []
for r in rows:
    p, f = r["peer"], r["printfleet"]
    table.append([str(r["rate"])] + side(p, "p50", "p99", "max") + side(f, "p50", "p99", "max") + [
        v(r["ratios"]["p99PeerOverPrintfleet"], "×"),
        "failed" if f is None else f"{v(f['postTo201']['p50'])} / {v(f['postTo201']['p99'])}",
        f"{side(p, 'jobsPerS')[0]} / {side(f, 'jobsPerS')[0]}",
        f"{side(p, 'notDelivered')[0]} / {side(f, 'notDelivered')[0]}",
        f"{side(p, 'cpuPerThousandJobs')[0]} / {side(f, 'cpuPerThousandJobs')[0]}",
        v(r["ratios"]["cpuPerJobPeerOverPrintfleet"], "×")])
notes = [
    f"{agents} agents on each side; {duration} s measured at each rate after {warmup} s of the same load; latencies in ms.",
    "peer latency: POST /jobs → printJob at the agent → the agent's ack → HTTP 200 (the peer answers after the ack; load.js, from send).",
    "printfleet latency: POST /api/v1/jobs → the job frame at the agent (the simulator); POST→201 is the answer, the job stored in PostgreSQL.",
    "jobs/s: jobs that reached an agent ÷ seconds from the first POST to the last arrival; not delivered: submitted jobs that never reached an agent (refused, failed or lost).",
    "CPU: user + system seconds of the serving processes over the measured window, per 1,000 jobs delivered. "
    "Peer: the node server and its Redis (load.js's per-step samples). printfleet: the services JVM, its Redis, "
    "PostgreSQL's postmaster and backends (/proc, bench/dispatch.sh). Load clients excluded on both sides.",
]
errors = [f"{r['rate']} jobs/s, {s}: {r[s + 'Error']}" for r in rows for s in ("peer", "printfleet") if r[s + "Error"]]
md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(c) + " |" for c in table]
md += [""] + [f"- {n}" for n in notes] + ([""] + [f"- failed: {e}" for e in errors] if errors else [])
text = "\n".join(md) + "\n"
open(f"{out_dir}/compare.md", "w").write("# printfleet vs the Socket.IO peer, one run\n\n" + text)
json.dump({"agents": agents, "durationS": duration, "warmupS": warmup, "notes": notes, "rows": rows},
          open(f"{out_dir}/compare.json", "w"), indent=2)
print(text)
print(f"table: {out_dir}/compare.md, {out_dir}/compare.json")
PY
