#!/usr/bin/env bash
# Measures the foundation's figures on this machine:
#   - dev mode start-up: launch of ./printfleet dev's launcher to /health/ready 200 on all three services;
#   - heap and RSS of each service's fat jar, run alone, after IDLE seconds at idle and a full GC.
# Usage: bench/idle-footprint.sh [IDLE_SECONDS]   (default 30)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/idle-footprint.sh" "$@"

IDLE="${1:-30}"
[[ "$IDLE" =~ ^[0-9]+$ ]] || { echo "usage: bench/idle-footprint.sh [IDLE_SECONDS]" >&2; exit 2; }
./printfleet build >/dev/null

# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

SECRET="bench-secret-0123456789-0123456789-0123456789"
GW=$(free_port); PR=$(free_port); MO=$(free_port)
start=$(now_ms)
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_GATEWAY_HTTP_PORT=$GW PRINTFLEET_PRINTING_HTTP_PORT=$PR \
  PRINTFLEET_MONITORING_HTTP_PORT=$MO java $PRINTFLEET_JAVA_OPTS -jar dev-launcher/target/dev-launcher.jar --agents 0 --duration 30m \
  >"$WORK/dev.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 900); do
  if ready "$GW" && ready "$PR" && ready "$MO"; then break; fi
  sleep 0.1
done
ready "$GW" && ready "$PR" && ready "$MO" || { echo "dev mode did not become ready; log: $WORK/dev.log" >&2; tail -20 "$WORK/dev.log" >&2; exit 1; }
dev_ready_ms=$(( $(now_ms) - start ))

redis_address=$(grep -oE 'redis://127\.0\.0\.1:[0-9]+' "$WORK/dev.log" | head -1)
pg=$(grep -oE 'postgres  127\.0\.0\.1:[0-9]+/[a-z0-9_]+' "$WORK/dev.log" | head -1 | awk '{print $2}')
pg_port=${pg#*:}; pg_port=${pg_port%%/*}; pg_db=${pg#*/}

declare -A JAR_PID JAR_PORT
for module in gateway-service printing-service monitoring-service; do
  port=$(free_port)
  JAR_PORT[$module]=$port
  PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_HTTP_PORT=$port PRINTFLEET_DRAIN_DELAY=0s \
    REDIS_CONNECTION_ADDRESS=$redis_address REDIS_KEY_NAMESPACE=bench-idle \
    PGHOST=127.0.0.1 PGPORT=$pg_port PGDATABASE=$pg_db PGUSER=postgres PGPASSWORD=postgres \
    java $PRINTFLEET_JAVA_OPTS -jar "$module/target/$module.jar" >"$WORK/$module.log" 2>&1 &
  JAR_PID[$module]=$!
  PIDS+=($!)
done
for module in "${!JAR_PORT[@]}"; do
  for _ in $(seq 1 600); do ready "${JAR_PORT[$module]}" && break; sleep 0.1; done
  ready "${JAR_PORT[$module]}" || { echo "$module did not become ready; log: $WORK/$module.log" >&2; exit 1; }
done

echo "Idling ${IDLE}s..." >&2
sleep "$IDLE"

keep_report idle-footprint
echo "printfleet foundation figures ($(nproc) cores, $(java -version 2>&1 | head -1))"
echo "dev mode start-up to all three ready: ${dev_ready_ms} ms (launcher JVM start included, build excluded)"
printf '%-20s %14s %14s %10s\n' service heap_used_MiB heap_commit_MiB rss_MiB
for module in gateway-service printing-service monitoring-service; do
  pid=${JAR_PID[$module]}
  used=$(heap_mib "$pid" "${JAR_PORT[$module]}")
  metrics=$(curl -s "http://127.0.0.1:${JAR_PORT[$module]}/metrics")
  committed=$(awk '/^jvm_memory_committed_bytes\{.*area="heap"/ {s+=$NF} END {printf "%.1f", s/1048576}' <<<"$metrics")
  rss=$(rss_mib "$pid")
  printf '%-20s %14s %14s %10s\n' "$module" "$used" "$committed" "$rss"
done
