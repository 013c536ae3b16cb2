#!/bin/sh
# Builds {{name}}.wasm from src/handler.c:
# 1. wit-bindgen writes C bindings for the world in wit/ into bindings/ (build output);
# 2. clang with wasi-libc compiles a WASI preview1 reactor module (CC and WASI_SYSROOT are honoured,
#    e.g. CC=/opt/wasi-sdk/bin/clang);
# 3. wasm-tools makes it a WASI 0.2 component, with the preview1 adapter
#    (wasi_snapshot_preview1.reactor.wasm, wasmtime's, written here by `skiff new`).
set -eu
cc="${CC:-clang}"
sysroot=""
if [ -n "${WASI_SYSROOT:-}" ]; then sysroot="--sysroot=$WASI_SYSROOT"; fi

rm -rf bindings
mkdir bindings
wit-bindgen c wit --world handler --out-dir bindings
compile() {
  "$cc" --target=wasm32-wasi $sysroot -Os -Wall -Wextra -Ibindings -c "$1" -o "$2"
}
compile src/handler.c bindings/app.o
compile bindings/handler.c bindings/handler.o
# Linking without -O keeps clang from running whatever wasm-opt is on PATH.
"$cc" --target=wasm32-wasi $sysroot -mexec-model=reactor -o bindings/{{name}}.core.wasm \
  bindings/app.o bindings/handler.o bindings/handler_component_type.o
wasm-tools component new bindings/{{name}}.core.wasm \
  --adapt wasi_snapshot_preview1=wasi_snapshot_preview1.reactor.wasm -o {{name}}.wasm
