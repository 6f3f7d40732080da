#!/usr/bin/env bash
# Redis losing its data under load, on the local cluster with default settings (two gateways, two
# printing instances, monitoring, nginx; 20 agents through nginx; 100 jobs/s through nginx), twice
# on one cluster:
#   flushall  FLUSHALL once the cluster keeps up with the load, jobs for 8 s more;
#   restart   then, once those jobs are printed and the load is steady again, Redis SIGKILLed and
#             started again empty on the same port, the same way.
# "Keeps up" (steady): every job of 3 s in a row reached its agent within 1 s (at most 45 s of load),
# so a warm-up backlog is not counted as the fault's; the lines from -3 s show the waits before it.
# Prints, for each: jobs accepted, their states (printed, still queued, failed), the seconds from the
# fault until every agent receives jobs again, the longest wait, and the wait per second after the
# fault. Runs system-tests' ClusterFaultsIT (which also asserts the acceptance: every job printed
# within 30 s of the fault); a failed run is reported as such, with its figures. When the flushall
# drill fails, the restart drill does not run in that run.
# Usage: bench/redis-loss.sh [RUNS]   (default 1)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-1}"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 && "$RUNS" -le 10 ]] || { echo "usage: bench/redis-loss.sh [RUNS 1..10]" >&2; exit 2; }
# shellcheck source=../scripts/fault-runs.sh
source "$ROOT/scripts/fault-runs.sh"
for i in $(seq 1 "$RUNS"); do
  run_fault_test "run $i flushall, then restart" ClusterFaultsIT 'ClusterFaultsIT#everyJobPrintsWhenRedisIsFlushedAndAgainWhenItIsKilledAndRestartsEmpty' redis-loss
done
