#!/usr/bin/env bash
# The thread tuner (threads::Tuner) against fixed thread counts, in one
# process: blocks of training steps of 784-128-64-10 (Adam, f32) on two
# threads, through a tuner, and on one thread, rotating (scripts/tuner/probe.rs).
#
#   scripts/tuner.sh                  # batch 64, blocks of 300 steps, 24 rounds
#   scripts/tuner.sh 256 100 24       # BATCH STEPS ROUNDS
#   BUSY=1 scripts/tuner.sh           # beside a busy loop on the second CPU
#                                     # (taskset -c 1), as another program would be
#
# Builds a small crate at $TUNER_DIR (default target/tuner-probe) that
# depends on the working tree's crates by path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${TUNER_DIR:-$ROOT/target/tuner-probe}
mkdir -p "$DIR/src"
cp scripts/tuner/probe.rs "$DIR/src/main.rs"
[ -f "$DIR/Cargo.lock" ] || cp Cargo.lock "$DIR/Cargo.lock"
cat > "$DIR/Cargo.toml" <<TOML
[package]
name = "tuner-probe"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
backprop-tensor = { path = "$ROOT/crates/backprop-tensor" }
backprop-layers = { path = "$ROOT/crates/backprop-layers" }
backprop-losses = { path = "$ROOT/crates/backprop-losses" }
backprop-optim = { path = "$ROOT/crates/backprop-optim" }

[profile.release]
debug = true

[workspace]
TOML
cargo build --release --quiet --manifest-path "$DIR/Cargo.toml" --target-dir "$DIR/target"
busy=
if [ "${BUSY:-0}" = 1 ]; then
    taskset -c 1 sh -c 'while :; do :; done' &
    busy=$!
    trap 'kill $busy 2>/dev/null || true' EXIT
fi
lscpu | grep -E 'Model name' || true
"$DIR/target/release/tuner-probe" "$@"
