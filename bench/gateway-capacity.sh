#!/usr/bin/env bash
# Gateway figures on this machine: agent connections one gateway holds, heap and RSS per
# connection, CPU while they idle. (Status delivery to dashboards: bench/fanout.sh.)
# Usage: bench/gateway-capacity.sh [AGENTS]     (default: 10000, at most 19,900)
# AGENT_PROTOCOL: what the agents speak, websocket (/ws/agent, the default) or socketio (/socket.io/,
# PROTOCOL.md §2.5).
# The report goes to target/bench/gateway-capacity-<time>/: summary.txt, machine.json, and each load
# process's agents-N.json with its HTML chart (connections per second, connect time, gateway heap/CPU).
# One gateway (with embedded Redis) runs in its own JVM; the load comes from separate processes,
# at most 9,000 sockets each (a process may hold 20,000 open files here), from 127.0.0.x sources.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/gateway-capacity.sh" "$@"

AGENTS="${1:-10000}"
[[ "$AGENTS" =~ ^[0-9]+$ && "$AGENTS" -ge 1 && "$AGENTS" -le 19900 ]] || { echo "AGENTS must be 1..19900 (one gateway process holds at most 20,000 files)" >&2; exit 2; }
PROTOCOL="${AGENT_PROTOCOL:-websocket}"
[[ "$PROTOCOL" == websocket || "$PROTOCOL" == socketio ]] || { echo "AGENT_PROTOCOL must be websocket or socketio (got '$PROTOCOL')" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./printfleet build >/dev/null

# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

SECRET="bench-secret-0123456789-0123456789-0123456789"
GW=$(free_port)
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_GATEWAY_HTTP_PORT=$GW PRINTFLEET_WS_RATE_PER_SECOND=50 \
  java $PRINTFLEET_JAVA_OPTS -Xmx2g -jar dev-launcher/target/dev-launcher.jar --services gateway --agents 0 --duration 60m >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
PIDS+=($GW_PID)
for _ in $(seq 1 600); do ready "$GW" && break; sleep 0.1; done
ready "$GW" || { echo "gateway did not start; log: $WORK/gateway.log" >&2; tail -20 "$WORK/gateway.log" >&2; exit 1; }

heap0=$(heap_mib "$GW_PID" "$GW"); rss0=$(rss_mib "$GW_PID")
echo "gateway idle, no connections: heap ${heap0} MiB, RSS ${rss0} MiB" >&2

# Agents, spread over processes of at most 9,000 sockets and over 127.0.0.2..9 as sources.
keep_report gateway-capacity
per=9000
procs=$(( (AGENTS + per - 1) / per ))
for p in $(seq 0 $((procs - 1))); do
  n=$(( AGENTS - p * per )); (( n > per )) && n=$per
  java $PRINTFLEET_JAVA_OPTS -Xmx512m -jar simulator/target/simulator.jar agents --port "$GW" --secret "$SECRET" --count "$n" --protocol "$PROTOCOL" \
    --id-prefix "p${p}a" --source-ips "127.0.0.$((2 + p * 2)),127.0.0.$((3 + p * 2))" --hold 3600 \
    --ready-file "$WORK/ready-$p" --stop-file "$WORK/stop" --report "$REPORT_DIR/agents-$p.json" $( (( p == 0 )) && echo --sample "http://127.0.0.1:$GW") \
    >"$WORK/agents-$p.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 1 3000); do
  all=1; for p in $(seq 0 $((procs - 1))); do [[ -f "$WORK/ready-$p" ]] || all=0; done
  (( all )) && break; sleep 0.2
done
held=$(curl -s "http://127.0.0.1:$GW/health/websocket/metrics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalConnections"])')
sleep 10
t0=$(cpu_ticks "$GW_PID"); sleep 20; t1=$(cpu_ticks "$GW_PID")
idle_cpu=$(python3 -c "print(round(($t1 - $t0) / $(getconf CLK_TCK) / 20 * 100, 2))")
heap1=$(heap_mib "$GW_PID" "$GW"); rss1=$(rss_mib "$GW_PID")
connect=$(grep -h "connect-to-welcome" "$WORK"/agents-*.log | tr '\n' ' ')

echo "printfleet gateway capacity ($(nproc) cores, $(java -version 2>&1 | head -1))"
echo "agents (${PROTOCOL}) requested ${AGENTS} in ${procs} load process(es); connections held by the gateway: ${held}"
echo "  ${connect}"
echo "gateway heap after GC: ${heap0} MiB idle -> ${heap1} MiB with ${held} agents = $(python3 -c "print(round(($heap1-$heap0)*1024/max(1,$held),1))") KiB per connection"
echo "gateway RSS: ${rss0} MiB -> ${rss1} MiB = $(python3 -c "print(round(($rss1-$rss0)*1024/max(1,$held),1))") KiB per connection"
echo "gateway CPU while ${held} agents idle (20 s): ${idle_cpu} % of one core"

# The load processes hold their agents until told to stop; then they write their reports.
touch "$WORK/stop"
for pid in "${PIDS[@]:1}"; do wait "$pid" 2>/dev/null || true; done
PIDS=($GW_PID)
echo "report: $REPORT_DIR"
