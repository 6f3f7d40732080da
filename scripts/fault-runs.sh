# Sourced by bench/redis-loss.sh and bench/failover.sh: runs one system test of a fault on the local
# cluster (building what it needs first) and prints its printfleet-figure lines.
mkdir -p "$ROOT/target/bench"
built=""

# run_fault_test LABEL CLASS IT_TEST FIGURE_PREFIX
run_fault_test() {
  local label=$1 class=$2 test=$3 prefix=$4 log verdict
  log="$ROOT/target/bench/${prefix}-$(date +%Y%m%d-%H%M%S).log"
  # The first run builds the fat jars (-am); later runs reuse them.
  local also_make="-am"
  [[ -n "$built" ]] && also_make=""
  if ./printfleet test -pl system-tests $also_make -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
      -Dit.test="$test" -Dfailsafe.failIfNoSpecifiedTests=false >"$log" 2>&1; then
    verdict="passed"
  else
    verdict="FAILED (acceptance not met or the run broke; see $log)"
  fi
  built=1
  echo "== $label: $verdict"
  grep -h "printfleet-figure $prefix" "$ROOT/system-tests/target/failsafe-reports/dev.printfleet.system.${class}-output.txt" 2>/dev/null \
    | sed "s/^printfleet-figure //" || echo "   (no figures: see $log)"
}
