#!/usr/bin/env bash
# Fairness across companies: company "load" submits jobs at RATE jobs/s to its online agents, twice
# on fresh services: once alone, once after company "backlog" queued BACKLOG jobs for an agent that
# then stays offline. Prints both runs' POST -> agent latency and how much the backlog moved it
# (the issue asks for p99 within 10 %), and how many backlog jobs were still queued at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() {
  cat <<'EOF'
Usage: bench/fairness.sh [RATE] [DURATION_S] [AGENTS] [BACKLOG]   (defaults: 100, 300, 50, 100000)
  RATE        jobs/s of the measured company, to its online agents
  DURATION_S  seconds measured, after DISPATCH_WARMUP_S (default 20) of the same load; at 100
              jobs/s a 60 s run's p99 is its 60th slowest job, which the machine's own stalls move
              by 20 % and more, so the default is 300 s (30,000 jobs: two runs take about 12.5 min)
  AGENTS      online agents of the measured company (2 printers each)
  BACKLOG     jobs another company queues first for its offline agent (past the company's
              PRINTFLEET_MAX_QUEUED_PER_COMPANY, default 100,000, they are refused with 429)
Each run is bench/dispatch.sh on fresh services; the reports stay in target/bench/.
EOF
}
[[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && { usage; exit 0; }
(( $# <= 4 )) || { usage >&2; exit 2; }
RATE="${1:-100}"
DURATION="${2:-300}"
AGENTS="${3:-50}"
BACKLOG="${4:-100000}"
for v in "$RATE" "$DURATION" "$AGENTS" "$BACKLOG"; do
  [[ "$v" =~ ^[0-9]+$ && "$v" -ge 1 ]] || { echo "fairness: arguments must be whole numbers >= 1 (got '$v')" >&2; usage >&2; exit 2; }
done

run() {
  local label="$1" out
  shift
  out=$(mktemp)
  echo "== $label" >&2
  if ! env "$@" bench/dispatch.sh "$RATE" "$DURATION" "$AGENTS" | tee "$out" >&2; then
    echo "fairness: the $label run failed" >&2
  fi
  sed -n 's/^report: \([^ ]*\.json\).*/\1/p' "$out"
  rm -f "$out"
}

ALONE=$(run "alone: $RATE jobs/s, no backlog" DISPATCH_LOAD_ARGS=)
WITH=$(run "with a backlog of $BACKLOG jobs for an offline agent of another company" \
  DISPATCH_LOAD_ARGS="--backlog $BACKLOG --backlog-company backlog")
[[ -s "$ALONE" && -s "$WITH" ]] || { echo "fairness: a run wrote no report (alone: '${ALONE}', with backlog: '${WITH}')" >&2; exit 1; }

python3 - "$ALONE" "$WITH" <<'PY'
import json, sys
alone, backlog = (json.load(open(p)) for p in sys.argv[1:3])
print(f"\nprintfleet fairness: {alone['targetRate']} jobs/s to {alone['agents']} agents, {alone['durationS']} s measured")
b = backlog.get("backlog", {})
print(f"backlog: {b.get('accepted')} of {b.get('posted')} jobs accepted for company {b.get('company')} "
      f"({b.get('refused429')} refused with 429, {b.get('failed')} failed) in {b.get('seconds')} s; "
      f"{b.get('queuedAtEnd')} still queued at the end")
print(f"{'':32}{'p50':>9}{'p99':>9}{'max':>9}{'jobs':>8}{'lost':>6}")
for name, r in (("alone", alone), ("with the backlog", backlog)):
    l = r["latencyMs"]["postToAgent"]
    print(f"{'POST -> agent, ' + name:32}{l['p50']:>9}{l['p99']:>9}{l['max']:>9}{r['receivedByAgents']:>8}{r['lost']:>6}")
p0, p1 = alone["latencyMs"]["postToAgent"]["p99"], backlog["latencyMs"]["postToAgent"]["p99"]
change = (p1 - p0) / p0 * 100
print(f"p99 with the backlog: {change:+.1f} % ({'within' if p1 <= p0 * 1.1 else 'NOT within'} 10 %)")
print(f"reports: {sys.argv[1]} {sys.argv[2]}")
PY
