#!/usr/bin/env bash
# Reconnect storm: AGENTS agents on one gateway all drop at once and come back (each after a random
# 0..JITTER_MS wait, as real agents back off); prints how long until every one was welcomed again.
# Usage: bench/reconnect-storm.sh [AGENTS] [JITTER_MS]     (defaults: 10000, 1000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/reconnect-storm.sh" "$@"

AGENTS="${1:-10000}"
JITTER="${2:-1000}"
[[ "$AGENTS" =~ ^[0-9]+$ && "$AGENTS" -ge 1 && "$AGENTS" -le 19500 ]] || { echo "AGENTS must be 1..19500" >&2; exit 2; }
[[ "$JITTER" =~ ^[0-9]+$ ]] || { echo "JITTER_MS must be a number" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
./printfleet build >/dev/null
# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

SECRET="bench-secret-0123456789-0123456789-0123456789"
GW=$(free_port)
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_GATEWAY_HTTP_PORT=$GW \
  java $PRINTFLEET_JAVA_OPTS -Xmx2g -jar dev-launcher/target/dev-launcher.jar --services gateway --agents 0 --duration 60m >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 600); do ready "$GW" && break; sleep 0.1; done
ready "$GW" || { echo "gateway did not start; log: $WORK/gateway.log" >&2; exit 1; }

per=5000
procs=$(( (AGENTS + per - 1) / per ))
LOADS=()
for p in $(seq 0 $((procs - 1))); do
  n=$(( AGENTS - p * per )); (( n > per )) && n=$per
  java $PRINTFLEET_JAVA_OPTS -Xmx512m -jar simulator/target/simulator.jar storm --port "$GW" --secret "$SECRET" --count "$n" \
    --jitter "$JITTER" --id-prefix "s${p}a" --source-ips "127.0.0.$((30 + p))" \
    --ready-file "$WORK/ready-$p" --start-file "$WORK/go" --report "$WORK/storm-$p.json" \
    $( (( p == 0 )) && echo --sample "http://127.0.0.1:$GW") >"$WORK/storm-$p.log" 2>&1 &
  LOADS+=($!)
  PIDS+=($!)
done
for _ in $(seq 1 3000); do
  all=1; for p in $(seq 0 $((procs - 1))); do [[ -f "$WORK/ready-$p" ]] || all=0; done
  (( all )) && break; sleep 0.2
done
sleep 2
touch "$WORK/go"
for pid in "${LOADS[@]}"; do wait "$pid" || true; done

keep_report reconnect-storm
cp "$WORK"/storm-*.json "$WORK"/storm-*.html "$REPORT_DIR/" 2>/dev/null || true
echo "printfleet reconnect storm ($(nproc) cores, $(java -version 2>&1 | head -1))"
python3 - "$WORK" "$AGENTS" "$JITTER" <<'PY'
import glob, json, sys
reports = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/storm-*.json"))]
back = sum(r["back"] for r in reports)
worst = max(r["allBackSeconds"] for r in reports)
failures = {}
for r in reports:
    for k, v in r["failures"].items():
        failures[k] = failures.get(k, 0) + v
print(f"{sys.argv[2]} agents dropped at once, each back after a random 0..{sys.argv[3]} ms wait")
print(f"  {back} back; all back within {worst:.1f} s of the drop; failures: {failures}")
for r in reports:
    print(f"  one load process: {r['agents']} agents, back after ms {json.dumps(r['backAfterMs'])}")
PY
