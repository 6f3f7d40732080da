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
# A background job of a script is not a process group leader, so setsid runs java itself (no
# fork): $! is the launcher.
# shellcheck disable=SC2086
setsid java $PRINTFLEET_JAVA_OPTS -XX:+UseSerialGC -jar dev-launcher/target/dev-launcher.jar "$@" <&0 &
launcher=$!
trap 'kill -TERM "$launcher" 2>/dev/null' INT TERM HUP
status=0
# wait returns early when a trapped signal arrives: wait again until the launcher has exited.
while kill -0 "$launcher" 2>/dev/null; do
  wait "$launcher"
  status=$?
done
exit "$status"
