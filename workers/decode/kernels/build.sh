#!/usr/bin/env sh
# Rebuilds pixels.wasm from pixels.c. Needs clang and wasm-ld with the wasm32 target (Debian:
# apt-get install clang-14 lld-14). The result is committed, so that neither installing nor
# testing tench needs a C compiler; the source's digest is built in, and a unit test fails when
# pixels.wasm was not rebuilt after pixels.c changed.
set -eu
cd "$(dirname "$0")"
# Debian keeps wasm-ld, which clang calls, in LLVM's own folder.
[ -d /usr/lib/llvm-14/bin ] && PATH="$PATH:/usr/lib/llvm-14/bin"
CC="${CC:-$(command -v clang-14 || command -v clang)}"
digest="$(sha256sum pixels.c | cut -c1-64)"
"$CC" --target=wasm32 -O3 -msimd128 -mbulk-memory -fwrapv -nostdlib -ffreestanding -fno-builtin \
  -Wall -Wextra -Wno-unused-parameter -DSOURCE_DIGEST="\"$digest\"" \
  -Wl,--no-entry -Wl,--strip-all -Wl,--initial-memory=1048576 -Wl,--stack-first -Wl,-z,stack-size=65536 \
  -o pixels.wasm pixels.c
echo "pixels.wasm: $(wc -c < pixels.wasm) bytes, source $digest"
