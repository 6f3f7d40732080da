#!/usr/bin/env bash
# Agent connections across THREE gateway instances clustered on one Redis, each in its own JVM,
# with the load spread over processes of at most 9,000 sockets (a process may hold 20,000 files).
# Usage: bench/capacity-cluster.sh [AGENTS]     (default 50000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/capacity-cluster.sh" "$@"

AGENTS="${1:-50000}"
[[ "$AGENTS" =~ ^[0-9]+$ && "$AGENTS" -ge 3 && "$AGENTS" -le 57000 ]] || { echo "AGENTS must be 3..57000 (19,000 per gateway)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./printfleet build >/dev/null
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

SECRET="bench-secret-0123456789-0123456789-0123456789"
PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
GPIDS=()
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_GATEWAY_HTTP_PORT=${PORTS[0]} \
  java $PRINTFLEET_JAVA_OPTS -Xmx2g -jar dev-launcher/target/dev-launcher.jar --services gateway --agents 0 --duration 60m >"$WORK/gateway-0.log" 2>&1 &
GPIDS+=($!); PIDS+=($!)
for _ in $(seq 1 600); do ready "${PORTS[0]}" && break; sleep 0.1; done
redis_address=$(grep -oE 'redis://127\.0\.0\.1:[0-9]+' "$WORK/gateway-0.log" | head -1)
for g in 1 2; do
  PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_HTTP_PORT=${PORTS[$g]} REDIS_CONNECTION_ADDRESS=$redis_address PRINTFLEET_DRAIN_DELAY=0s \
    java $PRINTFLEET_JAVA_OPTS -Xmx2g -jar gateway-service/target/gateway-service.jar >"$WORK/gateway-$g.log" 2>&1 &
  GPIDS+=($!); PIDS+=($!)
done
for g in 0 1 2; do
  for _ in $(seq 1 600); do ready "${PORTS[$g]}" && break; sleep 0.1; done
  ready "${PORTS[$g]}" || { echo "gateway $g did not start; log: $WORK/gateway-$g.log" >&2; exit 1; }
done

per_gateway=$(( (AGENTS + 2) / 3 ))
keep_report capacity-cluster
SAMPLE="http://127.0.0.1:${PORTS[0]},http://127.0.0.1:${PORTS[1]},http://127.0.0.1:${PORTS[2]}"
per=9000
started=$(now_ms)
n_proc=0
for g in 0 1 2; do
  left=$per_gateway
  (( g == 2 )) && left=$(( AGENTS - 2 * per_gateway ))
  chunk=0
  while (( left > 0 )); do
    n=$left; (( n > per )) && n=$per
    java $PRINTFLEET_JAVA_OPTS -Xmx512m -jar simulator/target/simulator.jar agents --port "${PORTS[$g]}" --secret "$SECRET" \
      --count "$n" --id-prefix "g${g}c${chunk}a" --source-ips "127.0.1.$((10 + n_proc)),127.0.2.$((10 + n_proc))" --hold 3600 \
      --ready-file "$WORK/ready-$n_proc" --stop-file "$WORK/stop" --report "$REPORT_DIR/agents-$n_proc.json" \
      $( (( n_proc == 0 )) && echo --sample "$SAMPLE") >"$WORK/agents-$n_proc.log" 2>&1 &
    PIDS+=($!)
    left=$(( left - n )); chunk=$(( chunk + 1 )); n_proc=$(( n_proc + 1 ))
  done
done
for _ in $(seq 1 4500); do
  all=1; for p in $(seq 0 $((n_proc - 1))); do [[ -f "$WORK/ready-$p" ]] || all=0; done
  (( all )) && break; sleep 0.2
done
connect_s=$(python3 -c "print(round(($(now_ms) - $started)/1000, 1))")
sleep 10
echo "printfleet capacity across three gateways ($(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(java -version 2>&1 | head -1))"
total=0
for g in 0 1 2; do
  held=$(curl -s "http://127.0.0.1:${PORTS[$g]}/health/websocket/metrics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totalConnections"])')
  total=$(( total + held ))
  t0=$(cpu_ticks "${GPIDS[$g]}"); sleep 5; t1=$(cpu_ticks "${GPIDS[$g]}")
  cpu=$(python3 -c "print(round(($t1 - $t0) / $(getconf CLK_TCK) / 5 * 100, 1))")
  echo "gateway $g: ${held} agents, heap after GC $(heap_mib "${GPIDS[$g]}" "${PORTS[$g]}") MiB, RSS $(rss_mib "${GPIDS[$g]}") MiB, idle CPU ${cpu} % of a core"
done
echo "total agents held: ${total} of ${AGENTS} requested, all connected within ${connect_s} s by ${n_proc} load processes"
# The load processes hold their agents until told to stop; then they write their reports.
touch "$WORK/stop"
for pid in "${PIDS[@]}"; do
  [[ " ${GPIDS[*]} " == *" $pid "* ]] && continue
  wait "$pid" 2>/dev/null || true
done
echo "report: $REPORT_DIR"
