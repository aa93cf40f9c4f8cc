#!/usr/bin/env bash
# Installs the Debian packages the test suite starts for real (brokers, daemons) when they are missing; run by `npm test`'s pretest.
set -euo pipefail

# Debian packages the tests need. Extend this list (space-separated) when a test starts another real
# component; keep one package per word so the "missing" report stays readable.
TEST_DEB_PACKAGES="mosquitto systemd python3-torch python3-torchvision python3-onnx python3-pil gpsd gpsd-clients python3-gps libimage-exiftool-perl ffmpeg gdal-bin chromium qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross socat postgresql-15 postgresql-15-postgis-3 python3-gdal"

# Escape hatch for machines that provide the components some other way (e.g. a CI image built elsewhere).
if [ "${FIELDEYE_SKIP_TEST_DEPS:-}" = "1" ]; then
  exit 0
fi

is_installed() {
  # dpkg-query is the source of truth on Debian: a binary on PATH may come from somewhere else and a
  # package may install into /usr/sbin, which is not on a normal user's PATH.
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

print_manual_help() {
  echo "install-test-deps: missing Debian packages needed by the tests: $*" >&2
  echo "install-test-deps: install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends $*" >&2
  echo "install-test-deps: (or set FIELDEYE_SKIP_TEST_DEPS=1 if you provide them another way)" >&2
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-test-deps: this is not a Debian-like system (no dpkg-query); the tests need: ${TEST_DEB_PACKAGES}" >&2
  echo "install-test-deps: install the equivalents (mosquitto must be at /usr/sbin/mosquitto), then set FIELDEYE_SKIP_TEST_DEPS=1" >&2
  exit 1
fi

missing=""
for pkg in ${TEST_DEB_PACKAGES}; do
  if ! is_installed "$pkg"; then
    missing="${missing:+${missing} }${pkg}"
  fi
done

# The common case: everything is there, say nothing and take no time.
if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  # shellcheck disable=SC2086
  print_manual_help $missing
  exit 1
fi

echo "install-test-deps: installing ${missing} (apt-get)" >&2

# The tests start their own broker on a free loopback port; the package's system service is not needed.
# A policy-rc.d that answers 101 stops invoke-rc.d / deb-systemd-invoke from starting it during the
# install (which fails in containers without an init). Docker images already ship one; only when there
# is none do we put ours in place, and remove it again on every exit path.
POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
  if [ "$created_policy" = "1" ]; then
    $SUDO rm -f "$POLICY" || true
  fi
}
trap cleanup EXIT
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# temporary, from fieldeye .ci/install-test-deps.sh: do not start services during this install\nexit 101\n' |
    $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 0755 "$POLICY"
  created_policy=1
fi

# Wait for the dpkg lock instead of failing when another install (or another engineer's test run) holds it.
APT_OPTS="-y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0"
export DEBIAN_FRONTEND=noninteractive

# Try without refreshing the package lists first (fast when they are recent); refresh and retry only
# when apt cannot find or fetch something.
# shellcheck disable=SC2086
if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install $APT_OPTS $missing >/dev/null 2>&1; then
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null
  # shellcheck disable=SC2086
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install $APT_OPTS $missing >/dev/null; then
    # shellcheck disable=SC2086
    print_manual_help $missing
    exit 1
  fi
fi

still_missing=""
for pkg in $missing; do
  if ! is_installed "$pkg"; then
    still_missing="${still_missing:+${still_missing} }${pkg}"
  fi
done
if [ -n "$still_missing" ]; then
  echo "install-test-deps: apt-get finished but these packages are still not installed: ${still_missing}" >&2
  # shellcheck disable=SC2086
  print_manual_help $still_missing
  exit 1
fi

echo "install-test-deps: installed ${missing}" >&2
