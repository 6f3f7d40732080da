# Shared by the bench scripts: processes that stop with the script, and small probes.
# Source it after scripts/jdk.sh; it sets WORK (a temporary directory removed on exit, kept with
# BENCH_KEEP_WORK=1: the services' and the load's logs are there) and PIDS.

BENCH_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d /tmp/printfleet-bench-XXXXXX)"
PIDS=()
bench_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${BENCH_KEEP_WORK:-0}" == "1" ]]; then
    echo "logs kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap bench_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/health/ready")" == "200" ]]; }
now_ms() { date +%s%3N; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
# Heap used after a full GC, from the service's own /metrics: heap_mib PID PORT
heap_mib() {
  jcmd "$1" GC.run >/dev/null 2>&1 || true
  sleep 1
  curl -s "http://127.0.0.1:$2/metrics" | awk '/^jvm_memory_used_bytes\{.*area="heap"/ {s+=$NF} END {printf "%.1f", s/1048576}'
}

# Starts embedded Redis and PostgreSQL (the dev launcher's --infra-only) for the services of a
# scenario; sets INFRA to its "PRINTFLEET_INFRA KEY=VALUE ..." line, the services' environment.
start_infra() {
  java $PRINTFLEET_JAVA_OPTS -Xmx128m -XX:+UseSerialGC -jar dev-launcher/target/dev-launcher.jar --infra-only >"$WORK/infra.log" 2>&1 &
  PIDS+=($!)
  INFRA=""
  for _ in $(seq 1 600); do
    INFRA="$(grep -m1 '^PRINTFLEET_INFRA ' "$WORK/infra.log" || true)"
    [[ -n "$INFRA" ]] && return 0
    sleep 0.2
  done
  echo "Redis/PostgreSQL did not start; log: $WORK/infra.log" >&2
  exit 1
}

# Keeps a scenario's report: from the call on, what the script prints also goes to
# target/bench/NAME-<UTC time>/summary.txt, with machine.json describing the machine; scripts put
# their load generators' JSON reports in REPORT_DIR too.
keep_report() {
  REPORT_DIR="$ROOT/target/bench/$1-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$REPORT_DIR"
  python3 - "$REPORT_DIR/machine.json" "$(java -version 2>&1 | head -1)" <<'PY'
import json, os, platform, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem = next((int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
json.dump({"cores": os.cpu_count(), "cpu": cpu, "memoryBytes": mem, "kernel": platform.release(),
           "java": sys.argv[2], "openFilesLimit": os.sysconf("SC_OPEN_MAX")}, open(sys.argv[1], "w"), indent=2)
PY
  exec > >(tee "$REPORT_DIR/summary.txt")
  echo "report directory: $REPORT_DIR" >&2
}

# The pid of the process listening on TCP port $1 (empty when none): listening_pid PORT. It reads
# every process's open files (a JVM holding 1,000 sockets has 1,000): resolve ports before a
# measured run, not at its start.
listening_pid() { python3 "$BENCH_LIB_DIR/proc_cpu.py" pid-of "$1"; }
