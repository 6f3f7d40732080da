#!/usr/bin/env bash
# Channels on this machine (PROTOCOL.md §6): SUBSCRIBERS dashboards spread over two gateways of one
# cluster, subscribed to CHANNELS channels (orders:zone:z0 ..); RATE messages a second published
# through the gateways' publish API (batches, round the two gateways). Prints messages in and
# deliveries out per second, publish -> delivery latency, missing and duplicate deliveries. Then,
# CHANNELS_KILL_AT s into the measured run, the second gateway is killed (SIGKILL): its dashboards
# reconnect to the first with since, their greatest offset, and the report says how long until
# every one had every message again.
# Usage: bench/channels.sh [SUBSCRIBERS] [RATE] [DURATION_S] [CHANNELS]   (defaults: 1000, 20, 60, 1)
# CHANNELS_KILL_AT (default 30; 0: no kill), CHANNELS_WARMUP_S (default 10). The gateways keep
# their defaults (history of 100 messages a channel, 5 minutes). Report: target/bench/channels-*/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/channels.sh" "$@"

SUBSCRIBERS="${1:-1000}"
RATE="${2:-20}"
DURATION="${3:-60}"
CHANNELS="${4:-1}"
KILL_AT="${CHANNELS_KILL_AT:-30}"
WARMUP="${CHANNELS_WARMUP_S:-10}"
for v in "$SUBSCRIBERS" "$RATE" "$DURATION" "$CHANNELS"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "usage: bench/channels.sh [SUBSCRIBERS] [RATE] [DURATION_S] [CHANNELS] (whole numbers >= 1)" >&2; exit 2; }
done
[[ "$KILL_AT" =~ ^[0-9]+$ && "$WARMUP" =~ ^[0-9]+$ ]] || { echo "CHANNELS_KILL_AT and CHANNELS_WARMUP_S are whole numbers of seconds" >&2; exit 2; }
(( KILL_AT < DURATION )) || { echo "CHANNELS_KILL_AT must fall within the measured run (< DURATION_S)" >&2; exit 2; }
(( SUBSCRIBERS <= 18000 )) || { echo "SUBSCRIBERS must be at most 18,000: one load process holds at most 20,000 open files here" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./printfleet build >/dev/null

# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

SECRET="bench-secret-0123456789-0123456789-0123456789"
PORTS=("$(free_port)" "$(free_port)")
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_GATEWAY_HTTP_PORT=${PORTS[0]} \
  java $PRINTFLEET_JAVA_OPTS -Xmx2g -jar dev-launcher/target/dev-launcher.jar --services gateway --agents 0 --duration 60m >"$WORK/gateway-0.log" 2>&1 &
G0=$!; PIDS+=($G0)
for _ in $(seq 1 600); do ready "${PORTS[0]}" && break; sleep 0.1; done
ready "${PORTS[0]}" || { echo "gateway 0 did not start; log: $WORK/gateway-0.log" >&2; tail -20 "$WORK/gateway-0.log" >&2; exit 1; }
redis_address=$(grep -oE 'redis://127\.0\.0\.1:[0-9]+' "$WORK/gateway-0.log" | head -1)
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_HTTP_PORT=${PORTS[1]} REDIS_CONNECTION_ADDRESS=$redis_address \
  java $PRINTFLEET_JAVA_OPTS -Xmx2g -jar gateway-service/target/gateway-service.jar >"$WORK/gateway-1.log" 2>&1 &
G1=$!; PIDS+=($G1)
for _ in $(seq 1 600); do ready "${PORTS[1]}" && break; sleep 0.1; done
ready "${PORTS[1]}" || { echo "gateway 1 did not start; log: $WORK/gateway-1.log" >&2; tail -20 "$WORK/gateway-1.log" >&2; exit 1; }

keep_report channels
if (( KILL_AT > 0 )); then
  (
    until [[ -e "$WORK/measuring" ]]; do sleep 0.05; done
    sleep "$KILL_AT"
    kill -KILL "$G1" 2>/dev/null && echo "gateway 1 (pid $G1) killed at +${KILL_AT} s of the measured run" >"$WORK/kill.log"
  ) &
  PIDS+=($!)
fi
status=0
java $PRINTFLEET_JAVA_OPTS -Xmx2g -jar simulator/target/simulator.jar channels --secret "$SECRET" \
  --ports "${PORTS[0]},${PORTS[1]}" --subscribers "$SUBSCRIBERS" --channels "$CHANNELS" --rate "$RATE" \
  --duration "$DURATION" --warmup "$WARMUP" --ready-file "$WORK/measuring" --source-ips 127.0.0.30,127.0.0.31 \
  --report "$REPORT_DIR/channels.json" >"$WORK/channels.log" 2>&1 || status=$?
[[ -f "$REPORT_DIR/channels.json" ]] || { echo "the channel run failed (exit $status)" >&2; tail -20 "$WORK/channels.log" >&2; exit 1; }
cp "$WORK"/*.log "$REPORT_DIR/" 2>/dev/null || true

echo "printfleet channels ($(nproc) cores, $(java -version 2>&1 | head -1))"
echo "$SUBSCRIBERS dashboards over 2 gateways in $CHANNELS channel(s); $RATE messages/s for $DURATION s after $WARMUP s of warm-up"
cat "$WORK/kill.log" 2>/dev/null || echo "no gateway killed"
python3 - "$REPORT_DIR/channels.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["publishToDelivery" + "Ms"]
print(f"messages in: {r['messagesPublished']} ({r['messagesInPerSecond']}/s); deliveries out: {r['deliveries']} of {r['deliveriesExpected']} expected ({r['deliveriesOutPerSecond']}/s)")
print(f"missing {r['missing']}, duplicates {r['duplicates']} (and {r['duplicatesOfRetriedPublishes']} of publishes the load generator sent again after a failure)")
print(f"publish -> delivery ms, live: p50 {l['p50']} p99 {l['p99']} p99.9 {l['p999']} max {l['max']} ({l['count']} deliveries)")
w = r["whileRecoveringMs"]
if w["count"]:
    print(f"publish -> delivery ms, to dashboards recovering after the kill: p50 {w['p50']} p99 {w['p99']} max {w['max']} ({w['count']} deliveries)")
rec = r["recovery"]
if rec["dashboardsCut"]:
    d = rec["perDashboardMs"]
    print(f"recovery: {rec['dashboardsCut']} dashboards cut; every one caught up after {rec['allCaughtUpAfterMs']} ms "
          f"(per dashboard p50 {d['p50']} p99 {d['p99']} max {d['max']} ms); recovered false: {rec['notRecovered']}; still behind: {rec['stillBehind']}")
print("errors:", r["errors"] or "none")
PY
echo "report: $REPORT_DIR/channels.json"
exit "$status"
