#!/usr/bin/env bash
# Build: bash bench/compute/build.sh   (Debian clang 14 + lld 14 + the wasi-libc package; see README.md)
# kernels.c -> kernels.wasm, a WASI reactor core module with no imports. Compiling and linking are
# separate steps on purpose: clang given -O at link time runs whatever wasm-opt is on PATH by itself,
# which would make the output depend on the machine. No -g, so no paths end up in the module: the
# build gives the same bytes wherever it runs.
set -euo pipefail
cd "$(dirname "$0")"
cc="${CC:-clang}"
sysroot=()
if [[ -n "${WASI_SYSROOT:-}" ]]; then sysroot=(--sysroot="$WASI_SYSROOT"); fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$cc" --target=wasm32-wasi "${sysroot[@]}" -O2 -Wall -Wextra -Werror -c kernels.c -o "$tmp/kernels.o"
"$cc" --target=wasm32-wasi "${sysroot[@]}" -mexec-model=reactor "$tmp/kernels.o" -o kernels.wasm
chmod 644 kernels.wasm  # wasm-ld marks its output executable
