# Sourced by bench/redis-loss.sh and bench/failover.sh: runs one system test of a fault on the local
# cluster (building what it needs first) and prints its printfleet-figure lines.
mkdir -p "$ROOT/target/bench"

# run_fault_test LABEL CLASS IT_TEST FIGURE_PREFIX
run_fault_test() {
  local label=$1 class=$2 test=$3 prefix=$4 log verdict
  log="$ROOT/target/bench/${prefix}-$(date +%Y%m%d-%H%M%S).log"
  # -am every time: without it Maven takes the simulator and the other modules from ~/.m2, which
  # may be older than this tree (the fat jars come from the modules' target/ either way).
  if ./printfleet test -pl system-tests -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
      -Dit.test="$test" -Dfailsafe.failIfNoSpecifiedTests=false >"$log" 2>&1; then
    verdict="passed"
  else
    verdict="FAILED (acceptance not met or the run broke; see $log)"
  fi
  echo "== $label: $verdict"
  grep -h "printfleet-figure $prefix" "$ROOT/system-tests/target/failsafe-reports/dev.printfleet.system.${class}-output.txt" 2>/dev/null \
    | sed "s/^printfleet-figure //" || echo "   (no figures: see $log)"
}
