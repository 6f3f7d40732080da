# Programs some tests drive as real processes, from Debian's packages: nginx and prometheus for
# LocalClusterIT, promtool (package prometheus) for the alert rules' tests (PrometheusRulesTest),
# curl for the local cluster script, chromium for the SRE dashboard's browser test,
# node and npm for the official socket.io-client (SocketIoNodeClientTest).
# Installed when missing, with apt-get as root (or through passwordless sudo); otherwise those
# tests fail, naming what is missing.
# Source it; call install_test_prereqs before dropping root.

# Each entry: the program, then the Debian package that installs it.
TEST_PREREQ_TOOLS=(nginx:nginx prometheus:prometheus promtool:prometheus curl:curl chromium:chromium node:nodejs npm:npm)

install_test_prereqs() {
  local missing=() entry tool
  for entry in "${TEST_PREREQ_TOOLS[@]}"; do
    tool="${entry%%:*}"
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || [[ -x "/usr/bin/$tool" ]] || missing+=("${entry#*:}")
  done
  (( ${#missing[@]} == 0 )) && return 0
  local sudo=""
  if [[ "$(id -u)" != "0" ]] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  fi
  if { [[ "$(id -u)" != "0" ]] && [[ -z "$sudo" ]]; } || ! command -v apt-get >/dev/null 2>&1; then
    echo "printfleet test: ${missing[*]} not installed and no root to install them: the tests that drive them will fail (apt-get install ${missing[*]})." >&2
    return 0
  fi
  echo "printfleet test: installing ${missing[*]} from Debian's packages for the system tests..." >&2
  # policy-rc.d keeps the packaged daemons from starting; the tests run their own.
  local created_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod +x /usr/sbin/policy-rc.d \
      && created_policy=1
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ -n "$created_policy" ]] && $sudo rm -f /usr/sbin/policy-rc.d
  return 0
}
