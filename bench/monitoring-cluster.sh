#!/usr/bin/env bash
# Response time of GET /monitoring/cluster under 1,000 requests (10 concurrent clients), against
# the whole set from the dev launcher (gateway, printing, monitoring, simulated agents).
# Builds with `verify` into the modules' target/ directories; installs nothing into ~/.m2.
# Usage: bench/monitoring-cluster.sh [REQUESTS] [CONCURRENCY] [AGENTS]   (default 1000 10 50)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/monitoring-cluster.sh" "$@"

REQUESTS="${1:-1000}"
CONCURRENCY="${2:-10}"
AGENTS="${3:-50}"
JAR=dev-launcher/target/dev-launcher.jar
if [[ ! -f "$JAR" || -n "$(find . -path ./.git -prune -o -path '*/target' -prune -o \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$JAR" -print -quit)" ]]; then
  ./mvnw -B -q verify -DskipTests -pl dev-launcher -am
fi
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

PORTS=("$(free_port)" "$(free_port)" "$(free_port)")
# shellcheck disable=SC2086
java $PRINTFLEET_JAVA_OPTS -Xmx1g -jar "$JAR" --agents "$AGENTS" --duration 30m \
  --gateway-port "${PORTS[0]}" --printing-port "${PORTS[1]}" --monitoring-port "${PORTS[2]}" >"$WORK/dev.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 1200); do ready "${PORTS[2]}" && grep -q 'sre' "$WORK/dev.log" && break; sleep 0.1; done
ready "${PORTS[2]}" || { echo "monitoring did not start; log follows" >&2; cat "$WORK/dev.log" >&2; exit 1; }
TOKEN=$(awk '/sre/ && /\(sam\)/ {print $NF}' "$WORK/dev.log" | head -1)
# Let every instance beat a few times (5 s interval) so the view is full.
sleep 12
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:${PORTS[2]}/monitoring/cluster" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print("instances:", d["counts"])'
# shellcheck disable=SC2086
java $PRINTFLEET_JAVA_OPTS bench/ClusterLoad.java "http://127.0.0.1:${PORTS[2]}/monitoring/cluster" "$TOKEN" \
  "$REQUESTS" "$CONCURRENCY"
