#!/usr/bin/env bash
# In-process A/B benchmark: a revision's crates linked beside the working
# tree's into one binary, the same workload alternated between the two.
#
#   scripts/ab.sh                         # working tree against HEAD, case mlp64
#   scripts/ab.sh HEAD~1 mlp64 infer1000  # working tree against HEAD~1, two cases
#   NEW=abc123 scripts/ab.sh abc123~1     # a commit against its parent (what
#                                         # docs/benchmarks.md's A/B rows quote)
#   ROUNDS=41 THREADS=1 scripts/ab.sh HEAD gemm:128,784,1000
#   CPU_TIME=1 THREADS=1 scripts/ab.sh HEAD mlp64   # the thread's CPU time,
#                                         # not the wall clock (a loaded machine)
#
# Cases (scripts/ab/bench.rs): mlp64, mlp256 (training step of 784-128-64-10,
# Adam, f32), sgd64 (the same with SGD, momentum 0.9), infer1, infer1000
# (forward pass), lenet64, lenet256 (LeNet-5 training step), gemm:M,K,N (one
# f32 product), gemmnt:M,K,N (C = A·Bᵀ with B stored N×K, as a weight's
# gradient), gemmtn:M,K,N (C = Aᵀ·B with A stored K×M, as dA = Wᵀ·dZ),
# sgd:N, adam:N, rmsprop:N (one optimizer step on N elements),
# adamz:N (Adam on N elements, a third of whose gradients are zero and whose
# moments there sit at subnormal fixed points, as in a long MNIST run),
# finite:N (ops::all_finite on N elements), digits64, digits256, digits1, digits1000,
# digits:M,K,N, digitsnt:M,K,N (the MLP cases and the products with a
# digit-like input, four-fifths zeros, a new batch each step). Defaults: 21 rounds of about 150
# ms per side, 2 threads; the order of the two sides alternates every
# round. Output: one line per round, the medians, and the per-round ratio
# new/old as median, quartiles and range (below 1: new is faster), then a
# JSON line. Noise between processes (±10–20 % on a shared machine) hides
# changes of a few per cent; alternating in one process does not.
#
# How: `git archive REV` is unpacked at $AB_DIR/old-<rev> and its packages
# renamed abold-backprop-* (so Cargo accepts two copies of each crate); a
# small crate at $AB_DIR/bench-<rev>-<new> depends on both sets by path,
# with the repository's Cargo.lock as the starting lockfile, and builds in
# $AB_DIR/target (release profile as the workspace's). The revision must
# have the public API the cases use (Sequential::builder, conv2d for lenet*).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
AB_DIR=${AB_DIR:-/tmp/ab}
ROUNDS=${ROUNDS:-21}
THREADS=${THREADS:-2}
BLOCK_MS=${BLOCK_MS:-150}
REV=${1:-HEAD}
[ $# -gt 0 ] && shift
CASES=("$@")
[ ${#CASES[@]} -gt 0 ] || CASES=(mlp64)

old=$(git rev-parse --short=10 "$REV^{commit}")
mkdir -p "$AB_DIR"

# unpack REV into DIR, optionally renaming its packages with PREFIX
unpack() { # rev dir prefix
    local rev=$1 dir=$2 prefix=$3
    if [ ! -f "$dir/.ab-complete" ]; then
        rm -rf "$dir" && mkdir -p "$dir"
        git archive "$rev" | tar -x -C "$dir"
        if [ -n "$prefix" ]; then
            # Package names, and every path dependency on a workspace crate
            # (workspace.dependencies or direct), point at the renamed packages.
            for toml in "$dir"/Cargo.toml "$dir"/crates/*/Cargo.toml; do
                sed -E -i \
                    -e "s/^name = \"(backprop-[a-z0-9-]+)\"/name = \"$prefix\1\"/" \
                    -e "/path *=/s/^(backprop-[a-z0-9-]+) = \{/\1 = { package = \"$prefix\1\",/" \
                    "$toml"
            done
        fi
        touch "$dir/.ab-complete"
    fi
}

unpack "$old" "$AB_DIR/old-$old" abold-
if [ -n "${NEW:-}" ]; then
    new=$(git rev-parse --short=10 "$NEW^{commit}")
    unpack "$new" "$AB_DIR/new-$new" ""
    NEWROOT=$AB_DIR/new-$new
else
    new=worktree
    NEWROOT=$ROOT
fi

BENCH=$AB_DIR/bench-$old-$new
mkdir -p "$BENCH/src"
cp scripts/ab/bench.rs "$BENCH/src/main.rs"
[ -f "$BENCH/Cargo.lock" ] || cp Cargo.lock "$BENCH/Cargo.lock"
{
    cat <<TOML
[package]
name = "ab-bench"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[profile.release]
debug = "line-tables-only"

[dependencies]
TOML
    for c in tensor layers losses optim; do
        echo "abold_$c = { package = \"abold-backprop-$c\", path = \"$AB_DIR/old-$old/crates/backprop-$c\" }"
        echo "backprop_$c = { package = \"backprop-$c\", path = \"$NEWROOT/crates/backprop-$c\" }"
    done
} > "$BENCH/Cargo.toml"

echo "== building: old $old ($AB_DIR/old-$old) against new $new ($NEWROOT)" >&2
CARGO_TARGET_DIR=$AB_DIR/target cargo build --release --quiet --manifest-path "$BENCH/Cargo.toml" >&2
for c in "${CASES[@]}"; do
    echo "== $c: old $old, new $new" >&2
    "$AB_DIR/target/release/ab-bench" "$c" --rounds "$ROUNDS" --threads "$THREADS" --block-ms "$BLOCK_MS" ${CPU_TIME:+--cpu-time}
done
