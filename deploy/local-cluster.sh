#!/usr/bin/env bash
# A real printfleet cluster on this machine, every piece its own process, loopback only:
#   Redis and PostgreSQL (embedded, from the dev launcher's fat jar: --infra-only),
#   gateway-1, gateway-2, printing-1, printing-2, monitoring (their fat jars),
#   nginx (Debian's) routed exactly as the compose ingress (deploy/nginx/printfleet-locations.conf),
#     to the gateways whose /health/ready answers (as Kubernetes routes to ready pods only),
#   Prometheus (Debian's) scraping every /metrics.
# Ctrl-C, SIGTERM or the end of LC_MAX_SECONDS stops everything and removes its files (the class
# data archives stay, for the next start).
#
# Ports (environment, defaults): LC_NGINX_PORT=8000 LC_PROMETHEUS_PORT=9090
#   LC_GATEWAY_PORTS="8080 8083" LC_PRINTING_PORTS="8081 8084" LC_MONITORING_PORT=8082
# PRINTFLEET_JWT_SECRET: used when set (random otherwise). Other PRINTFLEET_* variables in the
# environment reach every service. LC_MAX_SECONDS: stop by itself after that long (default: never).
# LC_CDS_DIR: where the JVMs keep their class data archives (default target/local-cluster-cds;
# empty: none).
# Needs a JDK 21+, nginx and prometheus: as root it installs the last two with apt-get.
# Prints one line "PRINTFLEET_LOCAL_CLUSTER <name> pid=<pid> port=<port>" per process, the line
# "PRINTFLEET_INFRA <settings>" (Redis and PostgreSQL, for tools and tests), and
# "PRINTFLEET_LOCAL_CLUSTER_READY" when every service is ready behind nginx.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_tool() {
  local name=$1 dir
  for dir in ${PATH//:/ } /usr/sbin /usr/bin /sbin; do
    if [[ -x "$dir/$name" ]]; then echo "$dir/$name"; return 0; fi
  done
  return 1
}

if ! find_tool nginx >/dev/null || ! find_tool prometheus >/dev/null; then
  if [[ "$(id -u)" == "0" && -z "${PRINTFLEET_IN_USERNS:-}" ]] && command -v apt-get >/dev/null; then
    echo "local-cluster: installing nginx and prometheus (apt-get)" >&2
    # policy-rc.d keeps the packages' own daemons from starting (on :80 and :9090).
    created_policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx prometheus >/dev/null
    [[ -n "$created_policy" ]] && rm -f /usr/sbin/policy-rc.d
  else
    echo "local-cluster: needs nginx and prometheus (Debian: apt-get install nginx prometheus, as root)" >&2
    exit 3
  fi
fi
command -v curl >/dev/null || { echo "local-cluster: needs curl (apt-get install curl)" >&2; exit 3; }
NGINX="$(find_tool nginx)"
PROMETHEUS="$(find_tool prometheus)"

# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
# PostgreSQL refuses root: as root, re-run in a user namespace as nobody (loopback unchanged).
drop_root "$ROOT/deploy/local-cluster.sh" "$@"

JARS=(gateway-service/target/gateway-service.jar printing-service/target/printing-service.jar
      monitoring-service/target/monitoring-service.jar dev-launcher/target/dev-launcher.jar)
for jar in "${JARS[@]}"; do
  if [[ ! -f "$jar" ]]; then
    echo "local-cluster: building the fat jars (./mvnw package, no tests)" >&2
    ./mvnw -B -q package -DskipTests -pl gateway-service,printing-service,monitoring-service,dev-launcher -am
    break
  fi
done

NGINX_PORT="${LC_NGINX_PORT:-8000}"
PROMETHEUS_PORT="${LC_PROMETHEUS_PORT:-9090}"
read -r -a GATEWAY_PORTS <<< "${LC_GATEWAY_PORTS:-8080 8083}"
read -r -a PRINTING_PORTS <<< "${LC_PRINTING_PORTS:-8081 8084}"
MONITORING_PORT="${LC_MONITORING_PORT:-8082}"
SECRET="${PRINTFLEET_JWT_SECRET:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/printfleet-local-cluster.XXXXXX")"
PIDS=()
stopping=""

terminate() { # pids...: SIGTERM, up to 20 s to exit, then SIGKILL
  local pid i alive
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 100); do
    alive=""
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ -z "$alive" ]] && break
    sleep 0.2
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
}

stop_all() {
  [[ -n "$stopping" ]] && return
  stopping=1
  echo "local-cluster: stopping ${#PIDS[@]} processes" >&2
  # Redis and PostgreSQL (the first process) last: a service that leaves the cluster while Redis
  # is already gone waits out its Redis timeouts (seconds) instead of leaving at once.
  if (( ${#PIDS[@]} > 1 )); then terminate "${PIDS[@]:1}"; fi
  if (( ${#PIDS[@]} > 0 )); then terminate "${PIDS[0]}"; fi
  wait 2>/dev/null || true
  rm -rf "$WORK"
  echo "local-cluster: stopped" >&2
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started() { # name pid port
  PIDS+=("$2")
  echo "PRINTFLEET_LOCAL_CLUSTER $1 pid=$2 port=$3"
}

# Class data sharing: each JVM maps the classes it loaded the last time from an archive instead of
# loading and verifying them again, so the five services start in about half the time on two
# cores. The JVM writes the archive when it exits cleanly; one older than its jar or the JDK is
# removed first (the JVM would refuse it, and not always write a new one). LC_CDS_DIR: where the
# archives go (default target/local-cluster-cds; empty: none).
# Without a directory it may write, or while another cluster of this checkout holds the archives
# (two JVMs writing one archive at once would spoil it), the JVMs run without them.
CDS_DIR="${LC_CDS_DIR-$ROOT/target/local-cluster-cds}"
if [[ -n "$CDS_DIR" ]]; then
  if ! { mkdir -p "$CDS_DIR" 2>/dev/null && [[ -w "$CDS_DIR" ]]; }; then
    echo "local-cluster: $CDS_DIR is not writable: no class data archives" >&2
    CDS_DIR=""
  elif ! { exec {cds_lock}>"$CDS_DIR/.lock" && flock -n "$cds_lock"; }; then
    echo "local-cluster: another local cluster holds $CDS_DIR: no class data archives" >&2
    CDS_DIR=""
  fi
fi
JAVA_BIN="$(readlink -f "$(command -v java)")"
cds_opts() { # name jar: sets CDS_OPTS, the JVM options of that process's archive (none without)
  CDS_OPTS=()
  if [[ -n "$CDS_DIR" ]]; then
    local archive="$CDS_DIR/$1.jsa"
    if [[ -f "$archive" && ( "$2" -nt "$archive" || "$JAVA_BIN" -nt "$archive" ) ]]; then
      rm -f "$archive"
    fi
    CDS_OPTS=("-XX:SharedArchiveFile=$archive" -XX:+AutoCreateSharedArchive)
  fi
}

# 1. Redis and PostgreSQL.
cds_opts infra dev-launcher/target/dev-launcher.jar
java $PRINTFLEET_JAVA_OPTS ${CDS_OPTS[@]+"${CDS_OPTS[@]}"} -Xmx128m -XX:+UseSerialGC -jar dev-launcher/target/dev-launcher.jar --infra-only \
  > "$WORK/infra.log" 2>&1 &
started infra $! 0
INFRA=""
for _ in $(seq 1 600); do
  INFRA="$(grep -m1 '^PRINTFLEET_INFRA ' "$WORK/infra.log" || true)"
  [[ -n "$INFRA" ]] && break
  kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$WORK/infra.log" >&2; echo "local-cluster: Redis/PostgreSQL did not start" >&2; exit 1; }
  sleep 0.2
done
[[ -n "$INFRA" ]] || { echo "local-cluster: Redis/PostgreSQL did not start within 120 s" >&2; exit 1; }
declare -A INFRA_ENV
for kv in ${INFRA#PRINTFLEET_INFRA }; do INFRA_ENV[${kv%%=*}]="${kv#*=}"; done
echo "$INFRA"

# 2. The services, each its own JVM, configured only by environment variables.
service() { # module name port
  local module=$1 name=$2 port=$3
  cds_opts "$name" "$module/target/$module.jar"
  env PRINTFLEET_JWT_SECRET="$SECRET" \
      PRINTFLEET_HTTP_HOST=127.0.0.1 PRINTFLEET_HTTP_PORT="$port" PRINTFLEET_INSTANCE_ID="$name" \
      PRINTFLEET_EVENTBUS_HOST=127.0.0.1 PRINTFLEET_DRAIN_DELAY="${PRINTFLEET_DRAIN_DELAY:-0s}" \
      REDIS_CONNECTION_ADDRESS="${INFRA_ENV[REDIS_CONNECTION_ADDRESS]}" \
      PGHOST="${INFRA_ENV[PGHOST]}" PGPORT="${INFRA_ENV[PGPORT]}" PGDATABASE="${INFRA_ENV[PGDATABASE]}" \
      PGUSER="${INFRA_ENV[PGUSER]}" PGPASSWORD="${INFRA_ENV[PGPASSWORD]}" \
      java $PRINTFLEET_JAVA_OPTS ${CDS_OPTS[@]+"${CDS_OPTS[@]}"} -Xmx${LC_SERVICE_HEAP:-192m} -XX:+UseSerialGC -jar "$module/target/$module.jar" \
      > "$WORK/$name.log" 2>&1 &
  started "$name" $! "$port"
}
service gateway-service gateway-1 "${GATEWAY_PORTS[0]}"
service gateway-service gateway-2 "${GATEWAY_PORTS[1]}"
service printing-service printing-1 "${PRINTING_PORTS[0]}"
service printing-service printing-2 "${PRINTING_PORTS[1]}"
service monitoring-service monitoring "$MONITORING_PORT"

# 3. nginx: the compose ingress's routes (the same file), loopback upstreams.
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    upstream gateway {
        include $WORK/nginx/gateway-upstream.conf;
    }
    upstream gateway_socketio {
        hash \$remote_addr consistent;
        include $WORK/nginx/gateway-upstream.conf;
    }
    upstream printing {
        server 127.0.0.1:${PRINTING_PORTS[0]} max_fails=2 fail_timeout=10s;
        server 127.0.0.1:${PRINTING_PORTS[1]} max_fails=2 fail_timeout=10s;
        keepalive 16;
    }
    upstream monitoring {
        server 127.0.0.1:$MONITORING_PORT max_fails=2 fail_timeout=10s;
        keepalive 4;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        include $ROOT/deploy/nginx/printfleet-locations.conf;
        location = /nginx-health { return 200 "ok\n"; }
    }
}
NGINX
# The gateways nginx routes to: the ready ones, as a Kubernetes Service's endpoints are (see
# follow_gateways below); all of them until one is known not to be.
gateway_upstream() { # ports...
  local port
  for port in "$@"; do echo "server 127.0.0.1:$port max_fails=2 fail_timeout=10s;"; done
}
gateway_upstream "${GATEWAY_PORTS[@]}" > "$WORK/nginx/gateway-upstream.conf"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g 'daemon off;' \
  > "$WORK/nginx/stdout.log" 2>&1 &
started nginx $! "$NGINX_PORT"

# 4. Prometheus scraping every /metrics.
mkdir -p "$WORK/prometheus"
cat > "$WORK/prometheus/prometheus.yml" <<PROM
global:
  scrape_interval: ${LC_SCRAPE_INTERVAL:-2s}
  scrape_timeout: ${LC_SCRAPE_INTERVAL:-2s}
  evaluation_interval: ${LC_SCRAPE_INTERVAL:-2s}
  external_labels:
    printfleet_url: http://127.0.0.1:$NGINX_PORT
rule_files:
  - $ROOT/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: gateway
    metrics_path: /metrics
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:${GATEWAY_PORTS[0]}", "127.0.0.1:${GATEWAY_PORTS[1]}"]
  - job_name: printing
    metrics_path: /metrics
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:${PRINTING_PORTS[0]}", "127.0.0.1:${PRINTING_PORTS[1]}"]
  - job_name: monitoring
    metrics_path: /metrics
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:$MONITORING_PORT"]
PROM
"$PROMETHEUS" --config.file="$WORK/prometheus/prometheus.yml" --storage.tsdb.path="$WORK/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --log.level=warn > "$WORK/prometheus/prometheus.log" 2>&1 &
started prometheus $! "$PROMETHEUS_PORT"

# 5. Ready: every service's /health/ready, then the ingress itself.
http_status() { # port path
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1$2" 2>/dev/null || true
}
deadline=$((SECONDS + ${LC_START_SECONDS:-180}))
for port in "${GATEWAY_PORTS[@]}" "${PRINTING_PORTS[@]}" "$MONITORING_PORT"; do
  until [[ "$(http_status "$port" /health/ready)" == "200" ]]; do
    if (( SECONDS > deadline )); then
      echo "local-cluster: the service on :$port is not ready; logs in $WORK:" >&2
      tail -n 20 "$WORK"/*.log >&2 || true
      exit 1
    fi
    for pid in "${PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "local-cluster: process $pid exited; logs:" >&2; tail -n 20 "$WORK"/*.log "$WORK"/*/*.log >&2 || true; exit 1; }
    done
    sleep 0.5
  done
done
until [[ "$(http_status "$NGINX_PORT" /nginx-health)" == "200" && "$(http_status "$PROMETHEUS_PORT" /-/ready)" == "200" ]]; do
  (( SECONDS > deadline )) && { echo "local-cluster: nginx or prometheus did not come up" >&2; tail -n 20 "$WORK"/*/*.log >&2; exit 1; }
  sleep 0.5
done

# Like Kubernetes' endpoints: a gateway whose /health/ready fails twice in a row (or does not
# answer within a second: a frozen process) leaves nginx's upstream until it is ready again. nginx
# alone would keep handing new agent connections to a frozen gateway (its TCP accepts and nothing
# answers). Never empty: with no gateway ready, all of them stay.
follow_gateways() {
  local current="${GATEWAY_PORTS[*]}" port ready want
  declare -A fails
  while sleep 1; do
    ready=()
    for port in "${GATEWAY_PORTS[@]}"; do
      if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/health/ready" 2>/dev/null)" == "200" ]]; then
        fails[$port]=0
      else
        fails[$port]=$(( ${fails[$port]:-0} + 1 ))
      fi
      (( ${fails[$port]:-0} < 2 )) && ready+=("$port")
    done
    (( ${#ready[@]} == 0 )) && ready=("${GATEWAY_PORTS[@]}")
    want="${ready[*]}"
    if [[ "$want" != "$current" ]]; then
      gateway_upstream "${ready[@]}" > "$WORK/nginx/gateway-upstream.conf"
      "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -s reload 2>/dev/null || true
      echo "local-cluster: nginx routes agents and dashboards to the ready gateways :${want// / :}" >&2
      current="$want"
    fi
  done
}
follow_gateways &
PIDS+=("$!")

cat <<INFO
printfleet local cluster is up (files in $WORK). Ctrl-C stops everything.
  ingress (nginx)  http://127.0.0.1:$NGINX_PORT   agents ws://127.0.0.1:$NGINX_PORT/ws/agent   REST http://127.0.0.1:$NGINX_PORT/api/v1
  gateways         :${GATEWAY_PORTS[0]} :${GATEWAY_PORTS[1]}   printing :${PRINTING_PORTS[0]} :${PRINTING_PORTS[1]}   monitoring :$MONITORING_PORT
  prometheus       http://127.0.0.1:$PROMETHEUS_PORT/targets
  redis            ${INFRA_ENV[REDIS_CONNECTION_ADDRESS]}   postgres 127.0.0.1:${INFRA_ENV[PGPORT]}/${INFRA_ENV[PGDATABASE]}
PRINTFLEET_LOCAL_CLUSTER_READY
INFO

# Wait for a signal (or LC_MAX_SECONDS); the sleep is ours too and stops with the rest.
sleep "${LC_MAX_SECONDS:-infinity}" &
PIDS+=("$!")
wait "$!" || true
[[ -n "${LC_MAX_SECONDS:-}" ]] && echo "local-cluster: LC_MAX_SECONDS=$LC_MAX_SECONDS reached" >&2
