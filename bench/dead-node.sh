#!/usr/bin/env bash
# How long a cluster node that dies without leaving (its JVM killed with SIGKILL, so its Redis
# connection is cut) stays a target: runs the separate-process cluster proof RUNS times and prints
# each figure. Every other node's cluster guard finds the dead node's event bus refusing connections
# in two checks in a row (3 s apart) and drops it: within about 9 s. A node whose connections time
# out instead (a partition, a host gone) waits for the cluster manager's 30 s node TTL plus three
# checks.
# Usage: bench/dead-node.sh [RUNS]   (default 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-3}"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 && "$RUNS" -le 20 ]] || { echo "usage: bench/dead-node.sh [RUNS 1..20]" >&2; exit 2; }
for i in $(seq 1 "$RUNS"); do
  ./printfleet test -q -pl common -am \
    -Dtest='ClusterProofTest#aNodeInAnotherProcessThatDiesWithoutLeavingStopsBeingATarget' \
    -Dsurefire.failIfNoSpecifiedTests=false >/dev/null
  grep -h "printfleet-figure dead-node" common/target/surefire-reports/*ClusterProofTest-output.txt | sed "s/^/run $i: /"
done
