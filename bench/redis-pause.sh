#!/usr/bin/env bash
# Jobs through a Redis pause: bench/dispatch.sh at RATE jobs/s for DURATION s to AGENTS agents, with
# the embedded Redis frozen (SIGSTOP) for PAUSE_S s from AT s into the measured run. Prints, per
# second around the pause, the jobs accepted, the jobs that reached an agent and their p99, and the
# jobs lost (none may be). Redis holds the cluster's membership and subscriptions and the agents'
# presence: what still goes through is what needs none of them (see docs/ARCHITECTURE.md).
# Usage: bench/redis-pause.sh [RATE] [DURATION_S] [AGENTS] [AT_S] [PAUSE_S]   (defaults: 200, 40, 50, 10, 10)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE="${1:-200}"
DURATION="${2:-40}"
AGENTS="${3:-50}"
AT="${4:-10}"
PAUSE_S="${5:-10}"
for v in "$AT" "$PAUSE_S"; do
  [[ "$v" =~ ^[0-9]+$ ]] || { echo "usage: bench/redis-pause.sh [RATE] [DURATION_S] [AGENTS] [AT_S] [PAUSE_S] (whole numbers)" >&2; exit 2; }
done
(( AT + PAUSE_S < DURATION )) || { echo "the pause must end within the run: AT_S + PAUSE_S < DURATION_S" >&2; exit 2; }
DISPATCH_REDIS_PAUSE="$AT:$PAUSE_S" exec "$ROOT/bench/dispatch.sh" "$RATE" "$DURATION" "$AGENTS"
