#!/usr/bin/env sh
# Rebuilds pixels.wasm from pixels.c with the flags in pixels.flags (one a line), into $OUT
# (default: pixels.wasm beside this script). The result is committed, so that neither installing
# nor testing tench needs a C compiler. It is reproducible byte for byte only with the compiler
# and linker pixels.toolchain names, Debian's clang-14 and lld-14's wasm-ld (apt-get install
# clang-14 lld-14): another version, or another flag, makes another module. So the module embeds
# the SHA-256 of the toolchain's version line, pixels.flags and pixels.c, and the version line
# itself; test/unit/kernels.test.ts checks both against the files here, and rebuilds the module
# and compares it with the committed one wherever that toolchain is installed.
#
#   build.sh               builds
#   build.sh --toolchain   prints the version line of the toolchain it would build with
set -euf
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/pixels.wasm}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$here"
# Debian keeps wasm-ld, which clang calls, in LLVM's own folder.
[ -d /usr/lib/llvm-14/bin ] && PATH="$PATH:/usr/lib/llvm-14/bin"
CC="${CC:-$(command -v clang-14 || command -v clang || true)}"
if [ -z "$CC" ]; then
  echo "build.sh: no clang here (Debian: apt-get install clang-14 lld-14)" >&2
  exit 1
fi
LD="$(command -v "$("$CC" --target=wasm32 -print-prog-name=wasm-ld)" || true)"
if [ -z "$LD" ]; then
  echo "build.sh: no wasm-ld for $CC (Debian: apt-get install lld-14)" >&2
  exit 1
fi
# Quotes and backslashes would end the C string the line is embedded as.
toolchain="$("$CC" --version | head -n 1 | tr -d '"\\'), $("$LD" --version | head -n 1 | tr -d '"\\')"
if [ "${1:-}" = "--toolchain" ]; then
  echo "$toolchain"
  exit 0
fi
pinned="$(cat pixels.toolchain)"
[ "$toolchain" = "$pinned" ] || echo "build.sh: building with $toolchain, not $pinned: the module will differ from the committed one" >&2
digest="$({ echo "$toolchain"; cat pixels.flags pixels.c; } | sha256sum | cut -c1-64)"
# One flag a line, split into words on purpose (globbing is off).
# shellcheck disable=SC2046
"$CC" $(cat pixels.flags) -DBUILD_DIGEST="\"$digest\"" -DTOOLCHAIN="\"$toolchain\"" -o "$out" pixels.c
echo "pixels.wasm: $(wc -c < "$out") bytes, $toolchain, digest $digest"
