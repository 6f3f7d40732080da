#!/usr/bin/env bash
# Status fan-out on this machine: agents send printer.status events as fast as RATE asks, one
# gateway batches them per room (PRINTFLEET_STATUS_BATCH_WINDOW, 100 ms) and delivers the frames to
# dashboards subscribed to branch rooms. Prints frames and updates delivered per second and the
# agent-to-dashboard latency; the report (JSON, HTML charts, machine.json) goes to target/bench/.
# Usage: bench/fanout.sh [DASHBOARDS] [RATE] [DURATION_S] [AGENTS] [BRANCHES]
#        (defaults: 8000, 20000, 30, 1000, 500: 16 dashboards and 2 agents a branch, 40 statuses a
#        second a room; a room's window opens at its first update, so at 40 a second a dashboard
#        gets about 8 frames a second: some 64,000 frames/s asked of the gateway)
# FANOUT_WARMUP_S (default 20): seconds of the same load first, not measured (0: none).
# FANOUT_SERVICE_JAVA_OPTS, FANOUT_LOAD_JAVA_OPTS: more JVM options for the services' JVM or the load
# generator's only, e.g. a flight recording.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/fanout.sh" "$@"

DASHBOARDS="${1:-8000}"
RATE="${2:-20000}"
DURATION="${3:-30}"
AGENTS="${4:-1000}"
BRANCHES="${5:-500}"
for v in "$DASHBOARDS" "$RATE" "$DURATION" "$AGENTS" "$BRANCHES"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "usage: bench/fanout.sh [DASHBOARDS] [RATE] [DURATION_S] [AGENTS] [BRANCHES] (whole numbers >= 1)" >&2; exit 2; }
done
(( DASHBOARDS + AGENTS <= 19000 )) || { echo "DASHBOARDS + AGENTS must be at most 19,000: one load process and one gateway each hold at most 20,000 open files here" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./printfleet build >/dev/null

# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

SECRET="bench-secret-0123456789-0123456789-0123456789"
GW=$(free_port)
PR=$(free_port)
# Each agent sends RATE / AGENTS statuses a second: the per-socket rate limit must allow them.
PER_AGENT=$(( RATE / AGENTS + 10 ))
# Printing runs too: the gateway takes statuses only for printers an agent synced, and a sync is
# stored by printing before the gateway answers it.
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_GATEWAY_HTTP_PORT=$GW PRINTFLEET_PRINTING_HTTP_PORT=$PR \
  PRINTFLEET_WS_RATE_PER_SECOND=$(( PER_AGENT * 2 )) \
  java $PRINTFLEET_JAVA_OPTS ${FANOUT_SERVICE_JAVA_OPTS:-} -Xmx2g -jar dev-launcher/target/dev-launcher.jar --services gateway,printing --agents 0 \
  --duration 60m >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
PIDS+=($GW_PID)
for _ in $(seq 1 600); do ready "$GW" && ready "$PR" && break; sleep 0.1; done
ready "$GW" || { echo "gateway did not start; log: $WORK/gateway.log" >&2; tail -20 "$WORK/gateway.log" >&2; exit 1; }

keep_report fanout
status=0
java $PRINTFLEET_JAVA_OPTS ${FANOUT_LOAD_JAVA_OPTS:-} -Xmx2g -jar simulator/target/simulator.jar fanout --port "$GW" --secret "$SECRET" \
  --agents "$AGENTS" --dashboards "$DASHBOARDS" --branches "$BRANCHES" --rate "$RATE" --duration "$DURATION" \
  --warmup "${FANOUT_WARMUP_S:-20}" --id-prefix f --source-ips 127.0.0.20,127.0.0.21 --sample "http://127.0.0.1:$GW" \
  --report "$REPORT_DIR/fanout.json" >"$WORK/fanout.log" 2>&1 || status=$?
[[ -f "$REPORT_DIR/fanout.json" ]] || { echo "the fan-out run failed (exit $status)" >&2; tail -20 "$WORK/fanout.log" >&2; exit 1; }

echo "printfleet status fan-out ($(nproc) cores, $(java -version 2>&1 | head -1))"
python3 - "$REPORT_DIR/fanout.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['agents']} agents sending {r['statusesSentPerSecond']:.0f} statuses/s to {r['dashboards']} dashboards in {r['branches']} branch rooms")
print(f"delivered {r['framesDeliveredPerSecond']:.0f} printer.status frames/s carrying {r['updatesDeliveredPerSecond']:.0f} updates/s")
print(f"agent-to-dashboard latency ms: {json.dumps(r['statusLatencyMs'])}; failures: {json.dumps(r['failures'])}")
for url, s in r.get("services", {}).items():
    print(f"gateway {url}: CPU {100 * s.get('cpuShareAvg', 0):.0f} % of the machine on average, heap max {s.get('heapMaxMiB', 0)} MiB")
PY
echo "report: $REPORT_DIR (fanout.json, fanout.html)"
exit "$status"
