#!/usr/bin/env bash
# Issue 12's hostile tenant against a running set, while honest agents receive jobs. The three
# services run each in its own JVM on embedded Redis and PostgreSQL (so each RSS is its own), behind
# nginx routed as the compose ingress (deploy/nginx/printfleet-locations.conf) when nginx is
# installed. The honest load (simulator jobs mode: AGENTS agents, RATE jobs/s through the REST API,
# a company dashboard) starts first and runs until 5 s after the last attack; the attacker
# (simulator abuse mode, another process) sends each of the issue's twelve hostile inputs in turn
# and reports, per attack, what the set answered and whether the hole is open or closed.
#
# Reports: gateway and printing RSS before and after; jobs lost (must be 0); honest agents that
# lost their socket (must be 0); POST -> agent latency of the honest jobs during the attack; each
# attack's answer and verdict. Written with machine.json to target/bench/abuse-<time>/.
#
# Usage: bench/abuse.sh [AGENTS] [RATE] [BOMBS] [BIG_JOBS]     (defaults: 1000, 100, 20, 100)
#   BOMBS: frame bombs (512 MiB inflated each, ABUSE_BOMB_MIB), each from a fresh agent connection.
#   BIG_JOBS: jobs of 1 MiB sent to an agent that reads slowly for ABUSE_SLOW_S (default 30) s.
#   ABUSE_XMX (default 1g): heap of each service. ABUSE_STRICT=1: also exit 1 when a job is lost,
#   an honest agent was disconnected, or a hole is open.
# Exit status: 0 when the run completed (open holes are findings, not failures), 1 when the run
# itself broke (a process did not start or wrote no report), 2 on bad arguments.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/abuse.sh" "$@"

AGENTS="${1:-1000}"
RATE="${2:-100}"
BOMBS="${3:-20}"
BIG_JOBS="${4:-100}"
SLOW_S="${ABUSE_SLOW_S:-30}"
BOMB_MIB="${ABUSE_BOMB_MIB:-512}"
XMX="${ABUSE_XMX:-1g}"
for v in "$AGENTS" "$RATE" "$SLOW_S" "$BOMB_MIB"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "usage: bench/abuse.sh [AGENTS] [RATE] [BOMBS] [BIG_JOBS] (whole numbers; AGENTS, RATE >= 1)" >&2; exit 2; }
done
for v in "$BOMBS" "$BIG_JOBS"; do
  [[ "$v" =~ ^[0-9]+$ ]] || { echo "BOMBS and BIG_JOBS must be whole numbers" >&2; exit 2; }
done
(( AGENTS <= 5000 )) || { echo "AGENTS must be at most 5000 (one load process)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./printfleet build >/dev/null
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"
alive() { kill -0 "$1" 2>/dev/null; }
# A gateway whose event loop is stuck (the frame bomb on an unfixed set) does not finish its
# shutdown hook: what is still running 20 s after SIGTERM is killed.
abuse_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 200); do
    left=0; for pid in "${PIDS[@]}"; do alive "$pid" && left=1; done
    (( left )) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do alive "$pid" && kill -9 "$pid" 2>/dev/null; done
  bench_cleanup
}
trap abuse_cleanup EXIT

SECRET="bench-secret-0123456789-0123456789-0123456789"
start_infra
declare -A PORT SVC_PID
for module in gateway-service printing-service monitoring-service; do
  PORT[$module]=$(free_port)
  # Each service in its own directory: printing's BodyHandler writes uploads to file-uploads there,
  # which the attacker looks at.
  mkdir -p "$WORK/$module"
  # shellcheck disable=SC2086
  (cd "$WORK/$module" && exec env ${INFRA#PRINTFLEET_INFRA } PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_HTTP_PORT=${PORT[$module]} \
    PRINTFLEET_DRAIN_DELAY=0s java $PRINTFLEET_JAVA_OPTS -Xmx"$XMX" -jar "$ROOT/$module/target/$module.jar") >"$WORK/$module.log" 2>&1 &
  PIDS+=($!)
  SVC_PID[$module]=$!
done
for module in "${!PORT[@]}"; do
  for _ in $(seq 1 900); do ready "${PORT[$module]}" && break; sleep 0.1; done
  ready "${PORT[$module]}" || { echo "$module did not start; log: $WORK/$module.log" >&2; tail -20 "$WORK/$module.log" >&2; exit 1; }
done
GW=${PORT[gateway-service]}; PR=${PORT[printing-service]}; MO=${PORT[monitoring-service]}
GW_PID=${SVC_PID[gateway-service]}; PR_PID=${SVC_PID[printing-service]}

# The ingress: the compose ingress's routes (the same file) on loopback upstreams, as
# deploy/local-cluster.sh runs it.
INGRESS_ARG=()
INGRESS_NOTE="no nginx on this machine: the ingress attack is skipped"
NGINX="$(command -v nginx || true)"
[[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
if [[ -n "$NGINX" ]]; then
  NG=$(free_port)
  mkdir -p "$WORK/nginx"
  cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    upstream gateway { server 127.0.0.1:$GW; }
    upstream printing { server 127.0.0.1:$PR; keepalive 16; }
    upstream monitoring { server 127.0.0.1:$MO; keepalive 4; }
    server {
        listen 127.0.0.1:$NG;
        include $ROOT/deploy/nginx/printfleet-locations.conf;
        location = /nginx-health { return 200 "ok\n"; }
    }
}
NGINX
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g 'daemon off;' >"$WORK/nginx/stdout.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NG/nginx-health")" == "200" ]] && break
    sleep 0.1
  done
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$NG/nginx-health")" == "200" ]]; then
    INGRESS_ARG=(--ingress "http://127.0.0.1:$NG")
    INGRESS_NOTE="nginx ingress (deploy/nginx/printfleet-locations.conf) on 127.0.0.1:$NG"
  else
    INGRESS_NOTE="nginx did not start ($(tail -1 "$WORK/nginx/error.log" 2>/dev/null)): the ingress attack is skipped"
  fi
fi

keep_report abuse
sleep 2
GW_RSS_BEFORE=$(rss_mib "$GW_PID"); PR_RSS_BEFORE=$(rss_mib "$PR_PID")

# The honest load: agents connect, a warm-up of 10 s, then the measured run, stopped by the
# script 5 s after the last attack (at most 30 min).
java $PRINTFLEET_JAVA_OPTS -Xmx1g -jar simulator/target/simulator.jar jobs --port "$GW" --api-port "$PR" --secret "$SECRET" \
  --agents "$AGENTS" --rate "$RATE" --duration 1800 --warmup 10 --timeout 2400 --grace 120 \
  --ready-file "$WORK/load-started" --stop-file "$WORK/load-stop" \
  --sample "http://127.0.0.1:$GW,http://127.0.0.1:$PR" --report "$REPORT_DIR/jobs.json" >"$WORK/load.log" 2>&1 &
LOAD_PID=$!
PIDS+=($LOAD_PID)
for _ in $(seq 1 1800); do
  [[ -f "$WORK/load-started" ]] && break
  alive "$LOAD_PID" || break
  sleep 0.1
done
[[ -f "$WORK/load-started" ]] || { echo "the honest load did not start; its log:" >&2; tail -30 "$WORK/load.log" >&2; exit 1; }
sleep 5

abuse_status=0
java $PRINTFLEET_JAVA_OPTS -Xmx1g -jar simulator/target/simulator.jar abuse --port "$GW" --api-port "$PR" --monitoring-port "$MO" \
  "${INGRESS_ARG[@]}" --secret "$SECRET" --gateway-pid "$GW_PID" --printing-pid "$PR_PID" \
  --uploads-dir "$WORK/printing-service/file-uploads" --bombs "$BOMBS" --bomb-mib "$BOMB_MIB" --big-jobs "$BIG_JOBS" \
  --slow-seconds "$SLOW_S" --report "$REPORT_DIR/abuse.json" >"$WORK/abuse.log" 2>&1 || abuse_status=$?
sleep 5
touch "$WORK/load-stop"
load_status=0
wait "$LOAD_PID" || load_status=$?
GW_RSS_AFTER=$(rss_mib "$GW_PID" 2>/dev/null || echo "gone"); PR_RSS_AFTER=$(rss_mib "$PR_PID" 2>/dev/null || echo "gone")
cp "$WORK/abuse.log" "$REPORT_DIR/abuse.log"
cp "$WORK/load.log" "$REPORT_DIR/load.log"
for module in gateway-service printing-service monitoring-service; do
  cp "$WORK/$module.log" "$REPORT_DIR/$module.log" 2>/dev/null || true
done

echo
echo "printfleet abuse benchmark ($(nproc) cores, $(java -version 2>&1 | head -1)), each service its own JVM (-Xmx$XMX)"
echo "honest load: $AGENTS agents, $RATE jobs/s, from before the first attack to 5 s after the last; $INGRESS_NOTE"
for module in gateway-service printing-service monitoring-service; do
  alive "${SVC_PID[$module]}" || echo "!! $module is no longer running (see $REPORT_DIR/$module.log)"
done
GW_ANSWERS=no; ready "$GW" && GW_ANSWERS=yes
PR_ANSWERS=no; ready "$PR" && PR_ANSWERS=yes
echo "gateway answering /health/ready at the end: $GW_ANSWERS; printing: $PR_ANSWERS"
if [[ "$GW_ANSWERS" == "no" ]]; then
  echo "!! the gateway does not answer: its honest agents may keep open sockets that carry nothing, which the"
  echo "!! reconnect count below cannot see; the jobs lost show them"
fi
echo "gateway  RSS before ${GW_RSS_BEFORE} MiB, after ${GW_RSS_AFTER} MiB"
echo "printing RSS before ${PR_RSS_BEFORE} MiB, after ${PR_RSS_AFTER} MiB"
if [[ ! -f "$REPORT_DIR/jobs.json" || ! -f "$REPORT_DIR/abuse.json" ]]; then
  echo "the run broke: a load generator wrote no report (jobs exit $load_status, abuse exit $abuse_status)" >&2
  tail -20 "$WORK/load.log" >&2; tail -20 "$WORK/abuse.log" >&2
  exit 1
fi
strict_fail=0
python3 - "$REPORT_DIR/jobs.json" "$REPORT_DIR/abuse.json" "$REPORT_DIR/summary.json" \
  "$GW_RSS_BEFORE" "$GW_RSS_AFTER" "$PR_RSS_BEFORE" "$PR_RSS_AFTER" <<'PY' || strict_fail=$?
import json, sys
jobs = json.load(open(sys.argv[1]))
abuse = json.load(open(sys.argv[2]))
lost = jobs["lost"]
neighbours = jobs.get("agentReconnects", 0)
missing = jobs.get("agentsNotConnectedAtEnd", 0)
lat = jobs["latencyMs"]["postToAgent"]
print(f"jobs: submitted {jobs['submitted']}, accepted {jobs['accepted']}, received by agents {jobs['receivedByAgents']}, "
      f"HTTP errors {json.dumps(jobs['errors'])}")
print(f"JOBS LOST: {lost} (must be 0; accepted, still queued or dispatched 120 s after the load stopped){'  <-- FAIL' if lost else ''}")
print(f"HONEST AGENTS DISCONNECTED: {neighbours} reconnects during the measured run, {missing} not connected at the end (must be 0){'  <-- FAIL' if neighbours or missing else ''}")
print("honest jobs during the attack, POST -> agent ms: "
      f"p50 {lat.get('p50')}, p99 {lat.get('p99')}, max {lat.get('max')} ({lat.get('count')} jobs)")
print()
print(f"{'#':>2} {'attack':20} {'verdict':8} what the set answered")
for a in abuse["attacks"]:
    print(f"{a['point']:>2} {a['attack']:20} {a['verdict'].upper():8} {a['answer']}")
v = abuse["verdicts"]
print(f"holes: {v.get('open', 0)} open, {v.get('closed', 0)} closed, {v.get('skipped', 0)} skipped, {v.get('error', 0)} attacks broke")
summary = {
    "gatewayRssMiB": {"before": sys.argv[4], "after": sys.argv[5]},
    "printingRssMiB": {"before": sys.argv[6], "after": sys.argv[7]},
    "jobsLost": lost, "honestAgentReconnects": neighbours, "honestAgentsNotConnectedAtEnd": missing,
    "honestPostToAgentMs": lat, "verdicts": v,
    "attacks": [{k: a[k] for k in ("point", "attack", "verdict", "answer")} for a in abuse["attacks"]],
}
json.dump(summary, open(sys.argv[3], "w"), indent=2)
sys.exit(3 if lost or neighbours or missing or v.get("open", 0) else 0)
PY
echo "report: $REPORT_DIR (summary.txt, summary.json, abuse.json, jobs.json, jobs.html, machine.json, logs)"
if [[ "$strict_fail" -ne 0 && "$strict_fail" -ne 3 ]]; then
  echo "the summary could not be read from the reports" >&2
  exit 1
fi
if [[ "${ABUSE_STRICT:-0}" == "1" && "$strict_fail" -eq 3 ]]; then
  exit 1
fi
exit 0
