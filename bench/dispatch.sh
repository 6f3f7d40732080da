#!/usr/bin/env bash
# Jobs end to end on this machine: submitted through the REST API at RATE jobs/s for DURATION s,
# stored in PostgreSQL, dispatched through the gateway to simulated agents, results seen by a
# dashboard. Prints accepted and dispatched jobs/s and latency percentiles, names lost jobs, and
# the CPU of the service processes and of the whole machine over the measured run.
# Usage: bench/dispatch.sh [RATE] [DURATION_S] [AGENTS]      (defaults: 1000, 60, 50)
# DISPATCH_WARMUP_S (default 20): seconds of load first, not measured (0: none): the rate ramps up over
# its first half and holds; the measured run follows without a pause.
# The gateway and printing service run in one JVM on embedded Redis and PostgreSQL (dev launcher);
# the load generator is a separate JVM. The JSON report is written to target/bench/.
# DISPATCH_LOAD_ARGS: more options for the load generator's jobs command (bench/fairness.sh sets
# --backlog); DISPATCH_LOAD_JAVA_OPTS: more JVM options for the load generator (it runs on ZGC with a heap of 256 MiB per 1,000 jobs/s committed at start, 1 GiB at most: no other collector flag, no -Xmx below that); DISPATCH_SERVICE_JAVA_OPTS: more JVM options for the services' JVM only, e.g. a flight recording
# of the measured run: -XX:StartFlightRecording=delay=30s,duration=30s,filename=/tmp/jfr/svc.jfr
# DISPATCH_DAMON_TRACE=1: also says how many of the jobs slower than 25 ms were under way while the
# kernel's DAMON monitor ran, and how many were slow by when they were posted after a round began
# (scripts/damon_trace.py; README, Benchmarks).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk
drop_root "$ROOT/bench/dispatch.sh" "$@"

RATE="${1:-1000}"
DURATION="${2:-60}"
AGENTS="${3:-50}"
for v in "$RATE" "$DURATION" "$AGENTS"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "usage: bench/dispatch.sh [RATE] [DURATION_S] [AGENTS] (whole numbers >= 1)" >&2; exit 2; }
done
[[ "${DISPATCH_DAMON_TRACE:-0}" =~ ^[01]$ ]] || { echo "DISPATCH_DAMON_TRACE must be 0 or 1" >&2; exit 2; }
./printfleet build >/dev/null

# shellcheck source=../scripts/bench-lib.sh
source "$ROOT/scripts/bench-lib.sh"

SECRET="bench-secret-0123456789-0123456789-0123456789"
GW=$(free_port); PR=$(free_port)
# The embedded PostgreSQL is new: 64 WAL files are written and a checkpoint keeps about half of
# them ready for reuse, as a server that has run through checkpoints has (README, Benchmarks);
# PRINTFLEET_PG_WAL_FILES=0: none.
WAL_FILES="${PRINTFLEET_PG_WAL_FILES:-64}"
PRINTFLEET_JWT_SECRET=$SECRET PRINTFLEET_GATEWAY_HTTP_PORT=$GW PRINTFLEET_PRINTING_HTTP_PORT=$PR \
  PRINTFLEET_PG_WAL_FILES="$WAL_FILES" \
  java $PRINTFLEET_JAVA_OPTS ${DISPATCH_SERVICE_JAVA_OPTS:-} -Xmx2g -jar dev-launcher/target/dev-launcher.jar \
  --services gateway,printing --agents 0 --duration 60m >"$WORK/services.log" 2>&1 &
SVC_PID=$!
PIDS+=($SVC_PID)
for _ in $(seq 1 900); do ready "$GW" && ready "$PR" && break; sleep 0.1; done
ready "$GW" && ready "$PR" || { echo "services did not start; log: $WORK/services.log" >&2; tail -20 "$WORK/services.log" >&2; exit 1; }

# A JVM runs its first seconds interpreted: the load generator first sends the load (ramped up) for
# WARMUP_S seconds, not measured, so the figures are those of compiled code at both ends.
WARMUP_S="${DISPATCH_WARMUP_S:-20}"
[[ "$WARMUP_S" =~ ^[0-9]+$ ]] || { echo "DISPATCH_WARMUP_S must be a whole number" >&2; exit 2; }

mkdir -p target/bench
REPORT="target/bench/dispatch-$(date -u +%Y%m%dT%H%M%SZ).json"
t0=$(awk '{print $14 + $15}' "/proc/$SVC_PID/stat")
# Every service process (the JVM, its embedded Redis, PostgreSQL's postmaster and backends) over
# the measured run only: from the load generator's ready file to its summary line.
SERVICE_PROCS=("$SVC_PID")
for infra in Redis PostgreSQL; do
  port=$(sed -n "s/.*$infra started port=\([0-9]*\).*/\1/p" "$WORK/services.log" | head -1)
  pid=""
  [[ -n "$port" ]] && pid=$(listening_pid "$port")
  [[ -n "$pid" ]] && SERVICE_PROCS+=("$pid")
done
# One process, started now, reads /proc when the measured run begins and when it ends: starting
# interpreters and tools there took about 0.5 s of CPU in the measured run's first second.
python3 "$ROOT/scripts/proc_cpu.py" watch "$WORK/measuring" "$WORK/load.log" "$WORK" "$WORK/load.pid" \
  $(( WARMUP_S + DURATION + 3600 )) "$SVC_PID" "${SERVICE_PROCS[@]}" &
CPU_WATCH=$!
PIDS+=("$CPU_WATCH")
# DISPATCH_REDIS_PAUSE=AT:SECONDS (bench/redis-pause.sh sets it): AT s into the measured run, the
# embedded Redis is frozen (SIGSTOP: its sockets stay open, nothing answers) for SECONDS s, then
# let go; the per-second lines at the end show what went through meanwhile.
REDIS_PID=""
if [[ -n "${DISPATCH_REDIS_PAUSE:-}" ]]; then
  [[ "$DISPATCH_REDIS_PAUSE" =~ ^([0-9]+):([0-9]+)$ ]] || { echo "DISPATCH_REDIS_PAUSE must be AT:SECONDS" >&2; exit 2; }
  PAUSE_AT=${BASH_REMATCH[1]}
  PAUSE_S=${BASH_REMATCH[2]}
  redis_port=$(sed -n "s/.*Redis started port=\([0-9]*\).*/\1/p" "$WORK/services.log" | head -1)
  REDIS_PID=$(ss -Hltnp "sport = :$redis_port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  [[ -n "$REDIS_PID" ]] || { echo "no Redis found listening on port ${redis_port:-?}" >&2; exit 1; }
  # Never leave Redis frozen, however the run ends: its JVM could not stop it.
  trap 'kill -CONT "$REDIS_PID" 2>/dev/null || true; bench_cleanup' EXIT
  (
    until [[ -e "$WORK/measuring" ]]; do sleep 0.05; done
    sleep "$PAUSE_AT"
    kill -STOP "$REDIS_PID"
    # Its state from /proc: T (stopped) is the proof that the pause took.
    echo "Redis (pid $REDIS_PID) state during the pause: $(awk '{print $3}' "/proc/$REDIS_PID/stat")" >"$WORK/pause.log"
    sleep "$PAUSE_S"
    kill -CONT "$REDIS_PID"
  ) &
  PIDS+=("$!")
fi
# DISPATCH_DAMON_TRACE=1: when the kernel's DAMON monitors ran during the measured run (read every
# 2 ms from /proc), against the jobs slower than 25 ms from POST to agent (the load generator's
# --latencies-file): how many of them were under way during a round, how many would be by chance, and
# the share of slow jobs by when they were posted after a round began.
DAMON_TRACE=""
DAMON_PID=""
LATENCIES="$WORK/latencies.txt"
if [[ "${DISPATCH_DAMON_TRACE:-0}" == "1" ]]; then
  DAMON_TRACE="$WORK/damon-rounds.txt"
  python3 "$ROOT/scripts/damon_trace.py" record "$WORK/measuring" "$WORK/load-ended" "$DAMON_TRACE" 2 &
  DAMON_PID=$!
  PIDS+=("$DAMON_PID")
  # A latencies file asked for in DISPATCH_LOAD_ARGS is the one read (the option is taken once).
  if [[ "${DISPATCH_LOAD_ARGS:-}" =~ --latencies-file[=[:space:]]+([^[:space:]]+) ]]; then
    LATENCIES="${BASH_REMATCH[1]}"
  else
    DISPATCH_LOAD_ARGS="${DISPATCH_LOAD_ARGS:-} --latencies-file $LATENCIES"
  fi
fi
status=0
# The load generator runs on ZGC (generational: JDK 21 and 22 ask for it): its latencies are
# measured on its own clock, and a G1 pause of its own (10 to 95 ms every few seconds here) would
# be counted as the services' latency.
# Its heap is committed and touched at start (-Xms, -XX:+AlwaysPreTouch): the kernel zeroed each
# new page of it on first touch, in the allocating thread, an event loop whose timestamps are the
# figures (2026-12-07, perf record -a at 1,000 jobs/s: clear_page on a load generator's event loop
# took 2.6 % of the machine's samples). And kept at that size (-XX:SoftMaxHeapSize; 1 GiB at most
# when it must): every page a process has touched is one more that the kernel's DAMON monitor checks
# each round, and its rounds are when most slow jobs happen here (README, Benchmarks). With the whole
# 1 GiB touched, DAMON took 1.78 to 2.6 s of CPU per measured minute at 1,000 jobs/s; with 256 MiB,
# 1.16 to 1.83 (2026-12-07). The size follows the rate, 256 MiB per 1,000 jobs/s (256 MiB to 1 GiB):
# at 2,000 jobs/s in 256 MiB the load generator took 0.61 of a core, against 0.33 and 0.4 in 512 MiB.
LOAD_HEAP_MB=$(( (RATE + 999) / 1000 * 256 ))
(( LOAD_HEAP_MB > 1024 )) && LOAD_HEAP_MB=1024
LOAD_GC="-XX:+UseZGC -Xms${LOAD_HEAP_MB}m -XX:SoftMaxHeapSize=${LOAD_HEAP_MB}m -XX:+AlwaysPreTouch"
[[ "$PRINTFLEET_JAVA_MAJOR" -lt 23 ]] && LOAD_GC="$LOAD_GC -XX:+ZGenerational"
java $PRINTFLEET_JAVA_OPTS -Xmx1g $LOAD_GC ${DISPATCH_LOAD_JAVA_OPTS:-} -jar simulator/target/simulator.jar jobs --port "$GW" --api-port "$PR" --secret "$SECRET" \
  --agents "$AGENTS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP_S" --ready-file "$WORK/measuring" \
  --sample "http://127.0.0.1:$GW" --report "$REPORT" ${DISPATCH_LOAD_ARGS:-} >"$WORK/load.log" 2>&1 &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
echo "$LOAD_PID" >"$WORK/load.pid"
wait "$LOAD_PID" || status=$?
touch "$WORK/load-ended"
if [[ -n "$DAMON_PID" ]]; then wait "$DAMON_PID" 2>/dev/null || true; fi
t1=$(awk '{print $14 + $15}' "/proc/$SVC_PID/stat")
# The watcher reads the end figures once the summary is out: let it finish (it scans /proc).
if grep -q '^accepted ' "$WORK/load.log"; then
  wait "$CPU_WATCH" 2>/dev/null || true
else
  kill "$CPU_WATCH" 2>/dev/null || true
fi
rss=$(rss_mib "$SVC_PID")

echo "printfleet dispatch benchmark ($(nproc) cores, $(java -version 2>&1 | head -1))"
echo "target ${RATE} jobs/s for ${DURATION} s to ${AGENTS} agents (2 printers each, 20 ms prints), after ${WARMUP_S} s of warm-up"
[[ -s "$REPORT" ]] && python3 - "$REPORT" <<'PY'
import json, sys
# The report's machine names the kernel's DAMON monitors that were on (Kdamonds): said with the figures.
for k in json.load(open(sys.argv[1])).get("machine", {}).get("kdamonds", []):
    every = f"sampling every {k['sampleMs']:g} ms, " if k.get("sampleMs") else ""
    print(f"note: the kernel's DAMON runs here (kdamond {k['kdamond']}: {k['operations']}, {every}"
          f"{', '.join(k['actions']) or 'no action'}); each round keeps a core busy for tens of ms (README, Benchmarks)")
PY
grep -E '^(backlog|queueing|submitting|accepted|latency|            POST)' "$WORK/load.log" || { tail -30 "$WORK/load.log"; }
echo "services JVM (gateway + printing, embedded Redis/PostgreSQL are separate processes): RSS ${rss} MiB, CPU $(python3 -c "print(round(($t1 - $t0) / $(getconf CLK_TCK), 1))") s over the run"
if [[ -s "$WORK/cpu-start" && -s "$WORK/cpu-end" && -s "$WORK/jvm-cpu-end" && -s "$REPORT" ]]; then
  python3 - "$REPORT" "$WORK/cpu-start" "$WORK/cpu-end" "$WORK/jvm-cpu-start" "$WORK/jvm-cpu-end" "$(getconf CLK_TCK)" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
s0, s1 = (open(f).read().split() for f in sys.argv[2:4])
seconds = round(float(s1[0]) - float(s0[0]), 2)
jvm = round((float(open(sys.argv[5]).read()) - float(open(sys.argv[4]).read())) / int(sys.argv[6]), 2)
delivered = report.get("receivedByAgents", 0)
per1000 = round(seconds / delivered * 1000, 3) if delivered else None
report["servicesCpu"] = {"seconds": seconds, "perThousandJobs": per1000, "jobs": delivered,
                         "window": "measured run: from its first POST until every job is final",
                         "processes": "services JVM, embedded Redis, PostgreSQL postmaster and backends",
                         "pids": s1[1] if len(s1) > 1 else "", "jvmSeconds": jvm,
                         "redisAndPostgresqlSeconds": round(seconds - jvm, 2)}
json.dump(report, open(sys.argv[1], "w"), indent=2)
print(f"all service processes (JVM, Redis, PostgreSQL) over the measured run: CPU {seconds} s, "
      f"{per1000} s per 1,000 jobs delivered (JVM {jvm} s, Redis and PostgreSQL {round(seconds - jvm, 2)} s)")
PY
fi
if [[ -s "$WORK/machine-start" && -s "$WORK/machine-end" && -s "$REPORT" ]]; then
  python3 - "$REPORT" "$WORK/machine-start" "$WORK/machine-end" "$WORK/load-cpu-start" "$WORK/load-cpu-end" "$(getconf CLK_TCK)" "$(nproc)" "$WORK/kdamond-start" "$WORK/kdamond-end" "$WAL_FILES" <<'PY'
import json, sys
report, tck, cores = json.load(open(sys.argv[1])), int(sys.argv[6]), int(sys.argv[7])
try:
    kdamond = round(float(open(sys.argv[9]).read()) - float(open(sys.argv[8]).read()), 2)
    if kdamond < 0:  # a monitor stopped during the run: its CPU is not known
        kdamond = None
except (OSError, ValueError):
    kdamond = None
(b0, t0), (b1, t1) = (map(int, open(f).read().split()) for f in sys.argv[2:4])
wall = (t1 - t0) / cores / tck
busy = round((b1 - b0) / tck / wall, 2) if wall > 0 else None
try:
    load = round((float(open(sys.argv[5]).read()) - float(open(sys.argv[4]).read())) / tck / wall, 2)
except (OSError, ValueError, ZeroDivisionError):
    load = None
report["postgresWalFilesWritten"] = int(sys.argv[10])
report["machineCpu"] = {"busyCores": busy, "cores": cores, "loadGeneratorCores": load,
                        "kdamondSeconds": kdamond, "seconds": round(wall, 1),
                        "window": "measured run: from its first POST until every job is final"}
json.dump(report, open(sys.argv[1], "w"), indent=2)
print(f"the machine over the measured run: {busy} of {cores} cores busy (/proc/stat, every process), "
      f"the load generator {load if load is not None else '?'} of them"
      + (f", the kernel's DAMON monitors {kdamond} s of CPU" if kdamond is not None and kdamond > 0 else ""))
PY
fi
if [[ "$WARMUP_S" -gt 0 && -s "$REPORT" ]]; then
  # Whether the services kept up with the warm-up's ramp, or the measured run began with a backlog:
  # the report's timelineFromWarmup, second by second from the warm-up's start.
  python3 - "$REPORT" "$WARMUP_S" <<'PY'
import json, sys
report, warmup = json.load(open(sys.argv[1])), int(sys.argv[2])
timeline = {e["s"]: e for e in report.get("timelineFromWarmup", [])}
def p99s(first, last):
    rows = [timeline[s] for s in range(max(0, first), last) if s in timeline]
    cells = " ".join("-" if e.get("toAgentP99Ms") is None else str(round(e["toAgentP99Ms"])) for e in rows)
    return f"{len(rows)} s {cells}"
# Behind: the warm-up's last second had a median of over 100 ms (a backlog, not a tail), or jobs
# were posted in it and none of them had reached an agent, so the measured run began with them.
last = timeline.get(warmup - 1)
if last is None:
    verdict = "whether the measured run began behind is unknown (no timeline in the report)"
elif (last.get("toAgentP50Ms") or 0) > 100 or (last.get("toAgentP50Ms") is None and last.get("accepted", 0) > 0):
    verdict = ("the measured run began behind (a backlog: the warm-up's last second had a median over "
               "100 ms, or none of its jobs had reached an agent)")
else:
    verdict = "the measured run did not begin behind"
print(f"POST->agent p99 per second (ms): warm-up's last {p99s(warmup - 5, warmup)}; "
      f"measured first {p99s(warmup, warmup + 5)}: {verdict}")
PY
fi
if [[ -n "$REDIS_PID" ]]; then
  kill -CONT "$REDIS_PID" 2>/dev/null || true
  cat "$WORK/pause.log" 2>/dev/null || echo "Redis was not paused: the run ended before the pause" >&2
  echo "Redis frozen from +${PAUSE_AT} s to +$((PAUSE_AT + PAUSE_S)) s of the measured run; per second (jobs accepted, jobs reaching an agent, POST -> agent p99 of the jobs accepted in that second):"
  python3 - "$REPORT" "$PAUSE_AT" "$PAUSE_S" <<'PY'
import json, sys
report, at, seconds = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
for e in report.get("timeline", []):
    if at - 3 <= e["s"] <= at + seconds + 5:
        mark = "paused" if at <= e["s"] < at + seconds else ""
        p99 = e.get("toAgentP99Ms")
        print(f"  +{e['s']:>3}s  accepted {e['accepted']:>5}  reached an agent {e['received']:>5}"
              f"  p99 {'-' if p99 is None else round(p99)} ms  {mark}")
PY
fi
if [[ -n "$DAMON_TRACE" ]]; then
  if [[ -s "$DAMON_TRACE" && -s "$LATENCIES" && -s "$REPORT" ]]; then
    rounds=$(python3 "$ROOT/scripts/damon_trace.py" overlap "$DAMON_TRACE" "$LATENCIES" 25) || rounds=""
    python3 - "$REPORT" "$rounds" <<'PY' || echo "DAMON rounds: the summary could not be made (${DAMON_TRACE}, ${LATENCIES})" >&2
import json, sys
report = json.load(open(sys.argv[1]))
overlap = json.loads(sys.argv[2]) if sys.argv[2] else {}
report["damonRounds"] = overlap
json.dump(report, open(sys.argv[1], "w"), indent=2)
if not overlap.get("rounds") or not overlap.get("slowJobs"):
    print(f"DAMON rounds in the jobs' span: {overlap.get('rounds', 0)}; slow jobs: {overlap.get('slowJobs') or 0}")
else:
    every = overlap.get("roundIntervalMsMedian")
    print(f"DAMON rounds in the jobs' span: {overlap['rounds']}"
          + (f", every {every} ms (median)" if every is not None else "")
          + f", each {overlap['roundCpuMsMedian']} ms of CPU over {overlap['roundWallMsMedian']} ms; "
          f"of {overlap['slowJobs']} jobs over {overlap['slowMs']:g} ms from POST to agent, "
          f"{overlap['slowJobsDuringRound']} were under way during a round "
          f"({100 * overlap['slowShareDuringRound']:.1f} %; by chance {100 * overlap['shareDuringRoundByChance']:.1f} %)"
          + (f"; {overlap['note']}" if overlap.get("note") else ""))
    steps = overlap.get("slowShareBySinceRound") or []
    if steps:
        print(f"jobs over {overlap['slowMs']:g} ms by when they were posted after a round began (share of jobs): "
              + ", ".join(f"{s['sinceRoundMs']}{'+' if s.get('orLater') else ''} ms "
                          f"{100 * s['slowShare']:.1f} % of {s['jobs']}" for s in steps))
PY
  else
    echo "DAMON rounds: none recorded (no kdamond running, or the run ended early)"
  fi
fi
echo "report: $REPORT (charts: ${REPORT%.json}.html)"
if [[ "$status" -ne 0 ]]; then
  echo "the load generator exited $status (1: lost jobs; see the report)" >&2
  exit "$status"
fi
