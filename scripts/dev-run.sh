#!/usr/bin/env bash
# Runs dev mode's launcher (dev-launcher/target/dev-launcher.jar, built) with the arguments given,
# as ./printfleet dev does after its build check.
#
# The launcher and the servers it starts (embedded Redis and PostgreSQL) run in a session and
# process group of their own. A Ctrl-C in the terminal (SIGINT to its foreground process group)
# or a signal to this script's group then reaches this script alone, which asks the launcher to
# stop with SIGTERM: the launcher stops the services first (drain, leave the cluster), then
# PostgreSQL and Redis. Run in this script's group, Redis and PostgreSQL got the signal too and
# went away under the services ("Failed to leave cluster" stack traces, a slow stop).
# Without setsid (macOS), the launcher runs in the foreground as before.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=jdk.sh
source "$ROOT/scripts/jdk.sh"
find_jdk

if ! command -v setsid >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  exec java $PRINTFLEET_JAVA_OPTS -XX:+UseSerialGC -jar dev-launcher/target/dev-launcher.jar "$@"
fi
# Without job control (a script's default; said here in case a caller's shell passes it on) a
# background job is not a process group leader, so setsid runs java itself (no fork): $! is the
# launcher, and the launcher leads its own process group, which holds Redis too.
set +m
launcher=""
interrupts=0
stop() {
  [[ -n "$launcher" ]] || exit 130
  interrupts=$((interrupts + 1))
  if (( interrupts == 1 )); then
    kill -TERM "$launcher" 2>/dev/null
  else
    # A second Ctrl-C: the stop hangs; end the launcher and what it started, at once. PostgreSQL's
    # server is not in the group (pg_ctl starts it in a session of its own): say where it is.
    echo "dev-run: stopping at once (SIGKILL to the launcher's process group); a PostgreSQL left" \
      "running has its pid in /tmp/printfleet-pg-*/data/postmaster.pid" >&2
    kill -KILL -- "-$launcher" 2>/dev/null
  fi
}
trap stop INT TERM HUP QUIT
# shellcheck disable=SC2086
setsid java $PRINTFLEET_JAVA_OPTS -XX:+UseSerialGC -jar dev-launcher/target/dev-launcher.jar "$@" &
launcher=$!
# wait returns early when a trapped signal arrives: wait again until the launcher has exited;
# bash keeps its status for the last wait.
while kill -0 "$launcher" 2>/dev/null; do
  wait "$launcher"
done
wait "$launcher"
exit $?
