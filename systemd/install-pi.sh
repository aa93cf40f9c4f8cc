#!/usr/bin/env bash
# Installs fieldeye as a systemd service on Raspberry Pi OS (64-bit) or Debian 12; idempotent; --dry-run prints the plan.
#
# Usage (from a checkout, as root or with sudo):  sudo systemd/install-pi.sh [--dry-run] [--prefix /opt/fieldeye]
# What it does: checks Node >= 20.19, builds the TypeScript here, copies the runtime into the prefix,
# `npm ci --omit=dev` there, creates the `fieldeye` system user (groups video, dialout), creates
# /etc/fieldeye/{config.yaml,fieldeye.env} only if missing (never overwrites your settings), installs
# the unit and enables it. Run it again after `git pull` to upgrade; your config stays.
set -euo pipefail

DRY_RUN=0
PREFIX=/opt/fieldeye
ETC=/etc/fieldeye
UNIT_DIR=/etc/systemd/system
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --prefix) PREFIX="$2"; shift ;;
    --etc) ETC="$2"; shift ;;
    --unit-dir) UNIT_DIR="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install-pi: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

SRC="$(cd "$(dirname "$0")/.." && pwd)"

run() {
  if [ "$DRY_RUN" = 1 ]; then
    echo "would run: $*"
  else
    echo "+ $*"
    "$@"
  fi
}

# 1. Node version: onnxruntime-node and sharp's prebuilt binaries need Node >= 20.19 (package.json engines).
if ! command -v node >/dev/null 2>&1; then
  echo "install-pi: node not found; install Node.js 20 LTS (e.g. from NodeSource) first" >&2
  exit 1
fi
NODE_VERSION="$(node -p 'process.versions.node')"
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "install-pi: Node ${NODE_VERSION} is too old; fieldeye needs >= 20.19" >&2
  exit 1
fi
echo "install-pi: Node ${NODE_VERSION} at $(command -v node), source ${SRC}, prefix ${PREFIX}"
if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install-pi: run as root (sudo), or pass --dry-run to see the plan" >&2
  exit 1
fi

# 2. Build in a scratch copy (needs the dev dependencies; the checkout's own node_modules is left alone),
#    then ship only the runtime.
BUILD="$(mktemp -d "${TMPDIR:-/tmp}/fieldeye-build.XXXXXX")"
trap 'rm -rf "${BUILD}"' EXIT
for item in package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json src bench; do
  run cp -a "${SRC}/${item}" "${BUILD}/${item}"
done
run bash -c "cd '${BUILD}' && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund && npm run build"
run mkdir -p "${PREFIX}/models"
for item in package.json package-lock.json .npmrc config models/README.md models/imagenet-labels.txt models/export-torchvision.py README.md; do
  run rm -rf "${PREFIX:?}/${item}"
  run cp -a "${SRC}/${item}" "${PREFIX}/${item}"
done
run rm -rf "${PREFIX:?}/dist"
run cp -a "${BUILD}/dist" "${PREFIX}/dist"
run bash -c "cd '${PREFIX}' && ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund"
# The unit makes ${PREFIX} read-only (ProtectSystem=strict): build the default generated model now, not at first start.
run node "${PREFIX}/dist/src/cli.js" model synth --seed 1 --out "${PREFIX}/models/generated/resnet18-synth-v1-seed1.onnx"

# 3. The service user: no login, no home outside its state directory, camera and serial by group.
if id -u fieldeye >/dev/null 2>&1; then
  echo "install-pi: user fieldeye exists"
  run usermod -a -G video,dialout fieldeye
else
  run useradd --system --home-dir /var/lib/fieldeye --no-create-home --shell /usr/sbin/nologin --groups video,dialout fieldeye
fi

# 4. Config and secrets: created once, never overwritten.
run mkdir -p "${ETC}"
if [ -e "${ETC}/config.yaml" ]; then
  echo "install-pi: keeping ${ETC}/config.yaml"
else
  run cp "${SRC}/config/pi4.yaml" "${ETC}/config.yaml"
fi
if [ -e "${ETC}/fieldeye.env" ]; then
  echo "install-pi: keeping ${ETC}/fieldeye.env"
else
  run install -m 0600 /dev/null "${ETC}/fieldeye.env"
  echo "install-pi: put FIELDEYE_MQTT_PASSWORD=... into ${ETC}/fieldeye.env (mode 0600)"
fi

# 5. The unit, pointing at this Node and prefix.
NODE_BIN="$(command -v node)"
if [ "$DRY_RUN" = 1 ]; then
  echo "would write: ${UNIT_DIR}/fieldeye.service (ExecStart=${NODE_BIN} ${PREFIX}/dist/src/cli.js ...)"
else
  sed -e "s#^ExecStart=/usr/bin/node /opt/fieldeye/#ExecStart=${NODE_BIN} ${PREFIX}/#" \
      -e "s#^Documentation=file:/opt/fieldeye/#Documentation=file:${PREFIX}/#" \
      "${SRC}/systemd/fieldeye.service" > "${UNIT_DIR}/fieldeye.service.tmp"
  mv "${UNIT_DIR}/fieldeye.service.tmp" "${UNIT_DIR}/fieldeye.service"
  echo "+ wrote ${UNIT_DIR}/fieldeye.service"
fi
if [ -d /run/systemd/system ]; then
  run systemctl daemon-reload
  run systemctl enable fieldeye.service
  echo "install-pi: enabled; start with: systemctl start fieldeye && journalctl -u fieldeye -f"
else
  echo "install-pi: systemd is not running here (container?): the unit is not enabled"
fi
