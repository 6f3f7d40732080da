#!/usr/bin/env bash
# A gateway host lost under load, on the local cluster with default settings (two gateways, two
# printing instances, monitoring, nginx; 20 agents through nginx; 100 jobs/s through nginx):
#   killed   the gateway holding the most agents SIGKILLed (its sockets reset);
#   frozen   the same gateway frozen (SIGSTOP: sockets open, nothing answers) for 40 s, then SIGKILLed;
#            its line "acceptance:" says whether the issue's bounds (20 s during the freeze, 5 s after
#            the kill) were met in that run.
# Each fault strikes once the cluster keeps up with the load ("steady": every job of 3 s in a row
# reached its agent within 1 s; at most 45 s of load), so a warm-up backlog is not counted as the
# fault's; the lines from -5 s show the waits just before it.
# Prints, for each: the longest wait (201 to the agent) of a job accepted after the fault, the wait
# per second after the fault until normal, jobs by state (failed must be 0) and the most circuits
# open at once. Runs system-tests' LocalClusterIT (killed) and ClusterFaultsIT (frozen), which assert
# that no job failed, no circuit opened and every job reached an agent; a failed run is reported as
# such, with its figures.
# Usage: bench/failover.sh [RUNS]   (default 1)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-1}"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 && "$RUNS" -le 10 ]] || { echo "usage: bench/failover.sh [RUNS 1..10]" >&2; exit 2; }
# shellcheck source=../scripts/fault-runs.sh
source "$ROOT/scripts/fault-runs.sh"
for i in $(seq 1 "$RUNS"); do
  run_fault_test "run $i killed" LocalClusterIT 'LocalClusterIT' gateway-killed
  run_fault_test "run $i frozen" ClusterFaultsIT 'ClusterFaultsIT#aGatewayFrozenThenKilledFailsNoJobAndItsAgentsGetTheirJobsWithinSeconds' gateway-frozen
done
