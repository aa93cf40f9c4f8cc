#!/usr/bin/env bash
# pi4-sqlite-compile-count.sh: counts the instructions Debian's own arm64 GCC 12 executes to compile better-sqlite3
# from source (what `npm install` does on a Pi 4 when its prebuilt binary cannot be fetched), under
# qemu-aarch64 -cpu cortex-a72 with the pi4-model instrument's counting plugin, so the README can estimate the
# Pi 4's compile time without a Pi. Prints the count per translation unit (sqlite3.c, better_sqlite3.cpp).
# Needs: the pi4-model instrument set up once (bash <shared>/tools/pi4-model/predict.sh any.onnx does it),
# qemu-user, and apt access to Debian's arm64 packages (added as a foreign architecture for the download only).
# Usage: bash bench/pi4-sqlite-compile-count.sh PI4_MODEL_PLUGIN.so    (about 10 min: sqlite3.c at -O3 under TCG)
set -euo pipefail
plugin="${1:?usage: $0 path/to/libinsnmix.so (the pi4-model plugin, e.g. ~/.cache/pi4-model/plugin/libinsnmix.so)}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Debian's arm64 compiler and the libraries it loads, unpacked into a prefix for qemu -L (nothing is installed).
added=0
dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && added=1; }
apt-get update -qq
(cd "$work" && apt-get download -qq cpp-12:arm64 gcc-12:arm64 g++-12:arm64 libgmp10:arm64 libmpfr6:arm64 libmpc3:arm64 libisl23:arm64 \
  libzstd1:arm64 zlib1g:arm64 libstdc++6:arm64 libgcc-s1:arm64 libc6:arm64 libc6-dev:arm64 linux-libc-dev:arm64 \
  libstdc++-12-dev:arm64 libgcc-12-dev:arm64 2> /dev/null)
[ "$added" = 1 ] && dpkg --remove-architecture arm64
prefix="$work/root"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$prefix"; done
# The exact compile commands node-gyp generates for better-sqlite3 (configured for this host, -m64 dropped).
cp -r "$root/node_modules/better-sqlite3" "$work/bsq"
rm -rf "$work/bsq/build"
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
# Built natively first (the host compiler makes the generated amalgamation), then make -B -n lists every command.
# The host node's own headers (--nodedir): node-gyp would otherwise download them.
nodedir="$(cd "$(dirname "$(readlink -f "$(command -v node)")")/.." && pwd)"
(cd "$work/bsq" && node "$gyp" rebuild --release --nodedir="$nodedir" -j 2 > "$work/native-build.log" 2>&1) || { tail -n 20 "$work/native-build.log" >&2; exit 1; }
(cd "$work/bsq/build" && make -B -n V=1 2> /dev/null | grep -E '^\s*(cc|g\+\+) -o Release/obj.target/(sqlite3|better_sqlite3/src)' | sed 's/ -m64//g; s/ -MMD.*$//') > "$work/cmds.txt"
[ -s "$work/cmds.txt" ] || { echo "pi4-sqlite-compile-count: no compile commands from node-gyp" >&2; exit 1; }
total=0
while read -r line; do
  driver=gcc-12
  [ "${line%% *}" = "g++" ] && driver=g++-12
  # The driver is asked (-###) for its cc1/cc1plus command, which is then run alone under the counting plugin
  # (qemu-user does not follow the driver's exec into cc1).
  cc1="$(cd "$work/bsq/build" && eval "qemu-aarch64 -L $prefix $prefix/usr/bin/aarch64-linux-gnu-$driver -### ${line#* }" 2>&1 | grep -E '/cc1(plus)? ' | sed 's/^ //')"
  (cd "$work/bsq/build" && eval "qemu-aarch64 -cpu cortex-a72 -L $prefix -plugin $plugin,out=$work/count.tsv,hot=0 $cc1" > /dev/null 2>&1)
  n="$(awk -F'\t' 'NR > 3 && $1 !~ /^#/ { s += $2 } END { printf "%.0f", s }' "$work/count.tsv")"
  unit="$(echo "$line" | grep -oE '[^ /]+\.(c|cpp) ' | head -1)"
  echo "pi4-sqlite-compile-count: $unit $((n / 1000000)) M instructions"
  total=$((total + n))
done < "$work/cmds.txt"
echo "pi4-sqlite-compile-count: total $((total / 1000000)) M instructions (arm64 GCC 12, -O3 as node-gyp sets it)"
