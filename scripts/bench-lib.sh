# Shared by the bench scripts: processes that stop with the script, and small probes.
# Source it after scripts/jdk.sh; it sets WORK (a temporary directory removed on exit) and PIDS.

WORK="$(mktemp -d /tmp/printfleet-bench-XXXXXX)"
PIDS=()
bench_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
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
