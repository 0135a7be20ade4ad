#!/usr/bin/env bash
# Builds the engine (web/engine, crate backprop-web) for the browser:
# wasm32-unknown-unknown in release, then wasm-bindgen into web/pkg/
# (an ES module, backprop_web.js, and backprop_web_bg.wasm; gitignored).
# Installs what it needs: the wasm32 target (rustup) and wasm-bindgen-cli
# of exactly the version in Cargo.lock (the CLI and the crate must match).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
if [ -z "$version" ]; then
    echo "build.sh: no wasm-bindgen in Cargo.lock" >&2
    exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
    echo "build.sh: installing wasm-bindgen-cli $version" >&2
    # --locked uses the CLI's own lock file; if a crate it pins cannot be
    # had from the registry, fall back to the newest compatible versions.
    cargo install --locked wasm-bindgen-cli --version "$version" ||
        cargo install wasm-bindgen-cli --version "$version"
fi

target_dir="${CARGO_TARGET_DIR:-$root/target}"
# wasm SIMD (128-bit vectors, in every browser since 2021): the portable
# kernels' 4-lane arrays compile to v128 instructions. Measured in headless
# Chromium, one MNIST epoch of the tutorial's network: 0.74-0.89 s with it,
# 1.29-2.31 s without (loaded machine; web/engine/bench). The results are the
# same: LLVM does not fuse multiply-adds on wasm.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
cargo build --release --target wasm32-unknown-unknown -p backprop-web --lib
wasm-bindgen --target web --out-dir web/pkg --no-typescript \
    "$target_dir/wasm32-unknown-unknown/release/backprop_web.wasm"
echo "build.sh: built web/pkg/backprop_web.js and backprop_web_bg.wasm ($(du -k web/pkg/backprop_web_bg.wasm | cut -f1) KiB)"
