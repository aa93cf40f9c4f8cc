#!/usr/bin/env bash
# pi4-arm64-sqlite.sh: cross-builds better-sqlite3's native addon for linux-arm64 (the Pi 4) from the sources in
# node_modules, so `npm run bench -- --only pi4` can count the outbox commit under qemu. Its prebuilt arm64 binary
# comes from GitHub, which this machine cannot reach; the sources (with the SQLite amalgamation) are already here.
# Needs Debian's g++-aarch64-linux-gnu (apt-get install g++-aarch64-linux-gnu) and the host node's headers (a
# Node 20 addon is ABI-compatible across 20.x, and the arm64 node the instrument runs is 20.x too).
# Writes .cache/arm64/better-sqlite3-<version>-linux-arm64/node_modules/better-sqlite3 (git-ignored); idempotent.
# Usage: bash bench/pi4-arm64-sqlite.sh        (from the checkout; about 2 min on one core, most of it sqlite3.c)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/node_modules/better-sqlite3"
version="$(node -p "require('$src/package.json').version")"
dest="$root/.cache/arm64/better-sqlite3-$version-linux-arm64/node_modules/better-sqlite3"
if [ -f "$dest/build/Release/better_sqlite3.node" ]; then echo "$dest"; exit 0; fi
command -v aarch64-linux-gnu-g++ > /dev/null || { echo "pi4-arm64-sqlite: needs aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu)" >&2; exit 69; }
nodedir="$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)"
[ -f "$nodedir/include/node/node.h" ] || { echo "pi4-arm64-sqlite: no node headers in $nodedir/include/node" >&2; exit 69; }
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || { echo "pi4-arm64-sqlite: node-gyp not found next to npm ($gyp)" >&2; exit 69; }
# Built in a staging copy and renamed into place, so a cut-short build never leaves a half entry.
staging="$(mktemp -d "$root/.cache/arm64/.staging-sqlite-XXXXXX")"
trap 'rm -rf "$staging"' EXIT
cp -r "$src/." "$staging/"
rm -rf "$staging/build"
(cd "$staging" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  CC_host=gcc CXX_host=g++ nice node "$gyp" rebuild --release --arch=arm64 --nodedir="$nodedir" -j 1 > "$staging/.build.log" 2>&1) ||
  { tail -n 30 "$staging/.build.log" >&2; exit 1; }
file "$staging/build/Release/better_sqlite3.node" | grep -q 'ARM aarch64' ||
  { echo "pi4-arm64-sqlite: the build did not produce an arm64 addon" >&2; exit 1; }
# Only what runs is kept: lib/, package.json and the addon (the objects and the amalgamation are 40 MB).
keep="$staging.keep"
mkdir -p "$keep/build/Release"
cp -r "$staging/lib" "$staging/package.json" "$keep/"
cp "$staging/build/Release/better_sqlite3.node" "$keep/build/Release/"
mkdir -p "$(dirname "$dest")"
mv "$keep" "$dest"
echo "$dest"
