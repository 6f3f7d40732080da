#!/usr/bin/env bash
# The Socket.IO peer (../shared/peer, the in-memory Node.js server printfleet replaces) and
# printfleet side by side on this machine: for each rate, the peer's run-dispatch.sh, then
# bench/dispatch.sh (once for each protocol of COMPARE_PROTOCOLS), with the same agents, rate, warm-up and measured duration. Prints one table
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
  COMPARE_PROTOCOLS what printfleet's simulated agents speak, comma-separated: websocket (/ws/agent)
                    and/or socketio (/socket.io/, the original's events); each is a printfleet run
                    of its own beside the same peer run (default websocket)
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
PROTOCOLS="${COMPARE_PROTOCOLS:-websocket}"
for v in "$DURATION" "$AGENTS"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "compare-peer: DURATION_S and AGENTS must be whole numbers >= 1 (got '$v')" >&2; usage >&2; exit 2; }
done
[[ "$RATES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "compare-peer: RATES must be whole numbers >= 1, comma-separated (got '$RATES')" >&2; exit 2; }
[[ "$PROTOCOLS" =~ ^(websocket|socketio)(,(websocket|socketio))*$ ]] || { echo "compare-peer: COMPARE_PROTOCOLS must be websocket and/or socketio, comma-separated (got '$PROTOCOLS')" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "compare-peer: COMPARE_WARMUP_S must be a whole number (got '$WARMUP')" >&2; exit 2; }
WARMUP_STEPS=$(( (WARMUP + DURATION - 1) / DURATION ))
WARMUP_S=$(( WARMUP_STEPS * DURATION ))

# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

# shellcheck source=../scripts/peer-lib.sh
source "$ROOT/scripts/peer-lib.sh"

keep_report compare-peer
echo "printfleet vs the Socket.IO peer ($(nproc) cores): rates ${RATES} jobs/s, ${AGENTS} agents, ${DURATION} s measured after ${WARMUP_S} s of the same load on each side"
PEER_PROBLEM="$(peer_prereqs)"
[[ -n "$PEER_PROBLEM" ]] && echo "peer: cannot run: $PEER_PROBLEM" >&2

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
IFS=, read -r -a RATE_LIST <<<"$RATES"
IFS=, read -r -a PROTOCOL_LIST <<<"$PROTOCOLS"
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

  # printfleet: bench/dispatch.sh with the same warm-up, duration and agents, once per protocol.
  for proto in "${PROTOCOL_LIST[@]}"; do
    pf_json="" pf_error="" side="printfleet-$proto-$rate"
    echo "printfleet ($proto agents): DISPATCH_WARMUP_S=$WARMUP_S DISPATCH_LOAD_ARGS='--protocol $proto' bench/dispatch.sh $rate $DURATION $AGENTS"
    pf_status=0
    DISPATCH_WARMUP_S="$WARMUP_S" DISPATCH_LOAD_ARGS="--protocol $proto ${DISPATCH_LOAD_ARGS:-}" \
      setsid bash "$ROOT/bench/dispatch.sh" "$rate" "$DURATION" "$AGENTS" >"$WORK/$side.log" 2>&1 &
    SIDE_PID=$!
    wait "$SIDE_PID" || pf_status=$?
    SIDE_PID=""
    cp "$WORK/$side.log" "$REPORT_DIR/$side.log"
    grep -E '^(accepted|latency|            POST|all service)' "$WORK/$side.log" || true
    pf_report="$(sed -n 's/^report: \([^ ]*\.json\).*/\1/p' "$WORK/$side.log" | tail -1)"
    if [[ -n "$pf_report" && -s "$ROOT/$pf_report" ]]; then
      cp "$ROOT/$pf_report" "$REPORT_DIR/$side.json"
      pf_json="$REPORT_DIR/$side.json"
      (( pf_status == 0 )) || pf_error="bench/dispatch.sh exited $pf_status (1: lost jobs)"
    else
      pf_error="bench/dispatch.sh exited $pf_status without a report: $(grep -v '^\s*$' "$WORK/$side.log" | tail -3 | tr '\n' ' ')"
    fi
    [[ -n "$pf_error" ]] && echo "printfleet ($proto agents) at ${rate} jobs/s: $pf_error" >&2
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$proto" "$peer_json" "$peer_error" "$pf_json" "$pf_error" >>"$RESULTS"
  done
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
            "cpuProcesses": cpu.get("processes"), "wallS": wall, "sendEveryMs": r.get("sendEveryMs", 10)}

rows = []
for line in open(results):
    rate, proto, pj, pe, fj, fe = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
    row = {"rate": int(rate), "protocol": proto, "peer": None, "printfleet": None, "peerError": pe or None, "printfleetError": fe or None}
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

head = ["jobs/s", "printfleet agents on", "peer p50", "peer p99", "peer max", "printfleet p50", "printfleet p99", "printfleet max",
        "p99 peer / printfleet", "printfleet POST→201 p50 / p99", "jobs/s peer / printfleet",
        "not delivered peer / printfleet", "CPU s per 1,000 jobs peer / printfleet", "CPU peer / printfleet"]
table = []
for r in rows:
    p, f = r["peer"], r["printfleet"]
    table.append([str(r["rate"]), {"socketio": "Socket.IO", "websocket": "/ws/agent"}.get(r["protocol"], r["protocol"])] + side(p, "p50", "p99", "max") + side(f, "p50", "p99", "max") + [
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
    "printfleet agents on: /ws/agent (the envelope) or Socket.IO (PROTOCOL.md §2.5: Engine.IO 4 on a WebSocket, namespace /printing-ws, printJob with an ack, printJobResult); each is a run of its own beside the same peer run.",
    "pacing: load.js sends the POSTs due on a 1 ms timer; the simulator on a "
    + "/".join(sorted({f"{r['printfleet']['sendEveryMs']} ms" for r in rows if r["printfleet"]}) or ["1 ms"])
    + " tick (--send-every; 10 ms before 2026-12-07, when ten POSTs left at once at 1,000 jobs/s).",
    "jobs/s: jobs that reached an agent ÷ seconds from the first POST to the last arrival; not delivered: submitted jobs that never reached an agent (refused, failed or lost).",
    "CPU: user + system seconds of the serving processes over the measured window, per 1,000 jobs delivered. "
    "Peer: the node server and its Redis (load.js's per-step samples). printfleet: the services JVM, its Redis, "
    "PostgreSQL's postmaster and backends (/proc, bench/dispatch.sh). Load clients excluded on both sides.",
]
errors = [f"{r['rate']} jobs/s ({r['protocol']}), {s}: {r[s + 'Error']}" for r in rows for s in ("peer", "printfleet") if r[s + "Error"]]
md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(c) + " |" for c in table]
md += [""] + [f"- {n}" for n in notes] + ([""] + [f"- failed: {e}" for e in errors] if errors else [])
text = "\n".join(md) + "\n"
open(f"{out_dir}/compare.md", "w").write("# printfleet vs the Socket.IO peer, one run\n\n" + text)
json.dump({"agents": agents, "durationS": duration, "warmupS": warmup, "notes": notes, "rows": rows},
          open(f"{out_dir}/compare.json", "w"), indent=2)
print(text)
print(f"table: {out_dir}/compare.md, {out_dir}/compare.json")
PY
