# Servers some tests drive as real processes, from Debian's packages: nginx and prometheus for
# LocalClusterIT, curl for the local cluster script. Installed when missing and running as root
# with apt-get; otherwise those tests say what is missing (and fail when CI=true).
# Source it; call install_test_prereqs before dropping root.

TEST_PREREQ_TOOLS=(nginx prometheus curl)

install_test_prereqs() {
  local missing=() tool
  for tool in "${TEST_PREREQ_TOOLS[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || [[ -x "/usr/bin/$tool" ]] || missing+=("$tool")
  done
  (( ${#missing[@]} == 0 )) && return 0
  if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "printfleet test: ${missing[*]} not installed; the tests that need them will be skipped (install them, e.g. apt-get install ${missing[*]})." >&2
    return 0
  fi
  echo "printfleet test: installing ${missing[*]} from Debian's packages for the system tests..." >&2
  # policy-rc.d keeps the packaged daemons from starting; the tests run their own.
  local created_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ -n "$created_policy" ]] && rm -f /usr/sbin/policy-rc.d
  return 0
}
