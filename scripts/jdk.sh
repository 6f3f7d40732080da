# Shared by ./printfleet and the bench scripts: find a JDK 21+, and drop root for PostgreSQL.
# Source it with ROOT set to the repository root.

java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}

find_jdk() {
  local candidates=()
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  local dir
  for dir in /usr/lib/jvm/* /opt/java/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [[ -d "$dir" ]] && candidates+=("$dir")
  done
  local best="" best_major=0 c major
  for c in "${candidates[@]}"; do
    [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
    major="$(java_major "$c")"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    # JAVA_HOME wins when it is new enough; otherwise take the newest JDK found.
    if [[ "$c" == "${JAVA_HOME:-}" && "$major" -ge 21 ]]; then
      best="$c"; best_major="$major"; break
    fi
    if [[ "$major" -ge 21 && "$major" -gt "$best_major" ]]; then
      best="$c"; best_major="$major"
    fi
  done
  if [[ -z "$best" ]]; then
    echo "printfleet needs a JDK 21 or newer (with javac). None found in JAVA_HOME, on PATH or under /usr/lib/jvm." >&2
    echo "Install one (e.g. Temurin 21) and set JAVA_HOME to it." >&2
    exit 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
  # JDK 24+ warns at every start that Netty and Guice use sun.misc.Unsafe; the flag (unknown
  # to older JDKs) keeps that access and the logs quiet.
  PRINTFLEET_JAVA_OPTS=""
  if [[ "$best_major" -ge 24 ]]; then
    PRINTFLEET_JAVA_OPTS="--sun-misc-unsafe-memory-access=allow"
    export MAVEN_OPTS="$PRINTFLEET_JAVA_OPTS ${MAVEN_OPTS:-}"
  fi
  export PRINTFLEET_JAVA_OPTS
  export PRINTFLEET_JAVA_MAJOR="$best_major"
}

# PostgreSQL's initdb and postgres refuse to run as root. As root, re-run this script in a user
# namespace mapped to nobody: the JVMs and PostgreSQL see an unprivileged user, the files they
# write belong to root as before, and loopback networking is unchanged.
drop_root() {
  if [[ "$(id -u)" == "0" && -z "${PRINTFLEET_IN_USERNS:-}" ]]; then
    if ! command -v unshare >/dev/null 2>&1; then
      echo "printfleet: running as root needs unshare (util-linux) to drop root for PostgreSQL; run as a normal user instead." >&2
      exit 1
    fi
    export PRINTFLEET_IN_USERNS=1
    exec unshare --user --map-user=65534 --map-group=65534 -- "$@"
  fi
  if [[ -n "${PRINTFLEET_IN_USERNS:-}" ]]; then
    # Java takes user.home from the passwd entry of nobody (/nonexistent); keep Maven's repository where it was.
    export MAVEN_OPTS="-Duser.home=${HOME} ${MAVEN_OPTS:-}"
  fi
}

