#!/usr/bin/env bash
# Soak: a mixed load for MINUTES minutes against the three services, each its own JVM on embedded
# Redis and PostgreSQL: jobs through the REST API at RATE jobs/s to AGENTS simulated agents whose
# printers change status every 2 s, a company dashboard and 20 branch dashboards. Heap and CPU of
# each service are read from its /metrics every second; memory must not grow: the report compares
# each heap's floor (its lowest reading) in the first and the last fifth, and the script reads each
# heap after a full GC (jcmd) before the load and after it.
# Usage: bench/soak.sh [MINUTES] [RATE] [AGENTS]     (defaults: 30, 200, 500)
# Writes target/bench/soak-<time>.json and .html (charts); exits 1 when a job was lost.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/soak.sh" "$@"

MINUTES="${1:-30}"
RATE="${2:-200}"
AGENTS="${3:-500}"
for v in "$MINUTES" "$RATE" "$AGENTS"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "usage: bench/soak.sh [MINUTES] [RATE] [AGENTS] (whole numbers >= 1)" >&2; exit 2; }
done
(( AGENTS <= 5000 )) || { echo "AGENTS must be at most 5000 (one load process)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./printfleet build >/dev/null
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

SECRET="bench-secret-0123456789-0123456789-0123456789"
start_infra
declare -A PORT SVC_PID
for module in gateway-service printing-service monitoring-service; do
  PORT[$module]=$(free_port)
  # shellcheck disable=SC2086
  env ${INFRA#PRINTFLEET_INFRA } PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_HTTP_PORT=${PORT[$module]} PRINTFLEET_DRAIN_DELAY=0s \
    PRINTFLEET_WS_RATE_PER_SECOND=50 java $PRINTFLEET_JAVA_OPTS -Xmx1g -jar "$module/target/$module.jar" >"$WORK/$module.log" 2>&1 &
  PIDS+=($!)
  SVC_PID[$module]=$!
done
for module in "${!PORT[@]}"; do
  for _ in $(seq 1 900); do ready "${PORT[$module]}" && break; sleep 0.1; done
  ready "${PORT[$module]}" || { echo "$module did not start; log: $WORK/$module.log" >&2; tail -20 "$WORK/$module.log" >&2; exit 1; }
done

# Heap after a full GC, before the load and after it (once every job is final): what a leak keeps.
declare -A HEAP_BEFORE HEAP_AFTER
for module in gateway-service printing-service monitoring-service; do
  HEAP_BEFORE[$module]=$(heap_mib "${SVC_PID[$module]}" "${PORT[$module]}")
done

mkdir -p target/bench
REPORT="target/bench/soak-$(date -u +%Y%m%dT%H%M%SZ).json"
GW=${PORT[gateway-service]}; PR=${PORT[printing-service]}; MO=${PORT[monitoring-service]}
status=0
java $PRINTFLEET_JAVA_OPTS -Xmx1g -jar simulator/target/simulator.jar jobs --port "$GW" --api-port "$PR" --secret "$SECRET" \
  --agents "$AGENTS" --rate "$RATE" --duration $(( MINUTES * 60 )) --status-every 2000 --dashboards 20 \
  --source-ips 127.0.0.40,127.0.0.41 --timeout $(( MINUTES * 60 + 600 )) \
  --sample "http://127.0.0.1:$GW,http://127.0.0.1:$PR,http://127.0.0.1:$MO" --report "$REPORT" >"$WORK/load.log" 2>&1 || status=$?

for module in gateway-service printing-service monitoring-service; do
  HEAP_AFTER[$module]=$(heap_mib "${SVC_PID[$module]}" "${PORT[$module]}")
done

echo "printfleet soak ($(nproc) cores, $(java -version 2>&1 | head -1)): ${MINUTES} min, ${RATE} jobs/s, ${AGENTS} agents, statuses every 2 s, 21 dashboards"
grep -E '^(accepted|latency|            POST)' "$WORK/load.log" || tail -30 "$WORK/load.log"
python3 - "$REPORT" gateway "$GW" printing "$PR" monitoring "$MO" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
names = {f"http://127.0.0.1:{sys.argv[i + 1]}": sys.argv[i] for i in range(2, len(sys.argv), 2)}
for url, s in r["services"].items():
    first, last = s.get("heapFloorFirstFifthMiB"), s.get("heapFloorLastFifthMiB")
    growth = (last - first) / first * 100 if first else 0
    print(f"  {names.get(url, url):10s} heap floor first fifth {first} MiB, last fifth {last} MiB ({growth:+.1f} %), "
          f"max {s.get('heapMaxMiB')} MiB, CPU {s.get('cpuShareAvg', 0) * 100:.1f} % of the machine on average")
# The floor of each five minutes shows where a heap grows and where it stops: monitoring's job
# meter, for one, fills its ring of 600 one-second histograms in the first ten minutes.
for url, s in r["services"].items():
    floors, samples = {}, {}
    for t, heap, _ in s["series"]:
        k = int(t // 300)
        floors[k] = min(floors.get(k, heap), heap)
        samples[k] = samples.get(k, 0) + 1
    full = [k for k in sorted(floors) if samples[k] >= 150]  # a last, partial five minutes says little
    print(f"  {names.get(url, url):10s} heap floor per 5 min (MiB): " + ", ".join(f"{floors[k]:.1f}" for k in full))
print(f"  status frames to dashboards: {r['statusFramesToDashboards']}; lost jobs: {r['lost']}")
PY
for module in gateway-service printing-service monitoring-service; do
  echo "  ${module%-service}: heap after a full GC ${HEAP_BEFORE[$module]} MiB before the load, ${HEAP_AFTER[$module]} MiB after it"
done
echo "report: $REPORT (charts: ${REPORT%.json}.html)"
exit "$status"
