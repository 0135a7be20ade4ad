#!/usr/bin/env bash
# Side-by-side benchmark of backprop against its peers on this machine, in one
# run, so that the comparison is a ratio (machines here are shared and noisy).
#
#   scripts/bench.sh                 # 3 epochs per training run
#   EPOCHS=5 REPEAT=3 scripts/bench.sh
#   CNN=0 scripts/bench.sh           # without LeNet-5 (examples/cnn against torch_cnn.py)
#   CNN_ONLY=1 CNN_ACCURACY=1 scripts/bench.sh   # only LeNet-5, and its 10-epoch
#                                    # accuracy on MNIST and Fashion-MNIST (slow)
#   GROWTH=0 scripts/bench.sh        # without the growth table (784-h-h-10)
#   GROWTH_ONLY=1 scripts/bench.sh   # only the growth table
#   BUILD=0 scripts/bench.sh         # skip `cargo build` (examples built beforehand)
#
# The growth table trains 784-h-h-10 for h in 128, 512, 2048 at batch 64, 256
# and 1024, ours (examples/mnist --hidden h,h) against PyTorch
# (scripts/torch_growth.py), each cell back to back, on a fixed number of
# training images per h so that the big cells fit a budget:
# GROWTH_LIMIT_128 (default 60000), GROWTH_LIMIT_512 (20000),
# GROWTH_LIMIT_2048 (6000); GROWTH_EPOCHS (default 3, mean over epochs 2..N),
# GROWTH_REPEAT rounds (default 1).
#
# Peers (from ../shared/peers, see their README.md):
#   PyTorch and the tutorial's NumPy network: a venv made by
#     VENV=/tmp/peers-venv bash ../shared/peers/python/setup.sh
#   candle and gemm-probe: built with
#     CARGO_TARGET_DIR=/tmp/peers-target cargo build --release --manifest-path ../shared/peers/rust/Cargo.toml
# Missing peers are reported and skipped, never silently.
#
# Output: the raw JSON lines under $OUT (default target/bench), and a summary
# table on stdout (also $OUT/summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED=${SHARED:-../shared}
PY=${PY:-}
for cand in "$SHARED/peers/python/.venv/bin/python" /tmp/peers-venv/bin/python; do
    [ -z "$PY" ] && [ -x "$cand" ] && PY=$cand
done
PEERS_BIN=${PEERS_BIN:-/tmp/peers-target/release}
[ -x "$PEERS_BIN/gemm-probe" ] || PEERS_BIN=$SHARED/peers/rust/target/release
EPOCHS=${EPOCHS:-3}
REPEAT=${REPEAT:-1}
OUT=${OUT:-target/bench}
DATA=${DATA:-data/mnist}
CNN=${CNN:-1}
CNN_ONLY=${CNN_ONLY:-0}
CNN_EPOCHS=${CNN_EPOCHS:-$EPOCHS}
CNN_ACCURACY=${CNN_ACCURACY:-0}
GROWTH=${GROWTH:-1}
GROWTH_ONLY=${GROWTH_ONLY:-0}
GROWTH_EPOCHS=${GROWTH_EPOCHS:-3}
GROWTH_REPEAT=${GROWTH_REPEAT:-1}
[ "$GROWTH_ONLY" = 1 ] && CNN=0
BIN=${CARGO_TARGET_DIR:-target}/release/examples
mkdir -p "$OUT"
: > "$OUT/runs.jsonl"

note() { printf '%s\n' "$*" >&2; }
record() { # impl kind batch json-line
    printf '{"impl":"%s","kind":"%s","batch":%s,"result":%s}\n' "$1" "$2" "$3" "$4" >> "$OUT/runs.jsonl"
}

if [ "${BUILD:-1}" = 1 ]; then
    note "== building backprop (release)"
    cargo build --release --example mnist --example cnn --example predict --example fma_peak >&2
else
    note "== BUILD=0: using the examples already built in $BIN"
fi

note "== machine"
{ lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/Flags:.*\(avx512f\).*/Flags: ... avx512f .../'; uptime; } > "$OUT/machine.txt" 2>&1 || true
cat "$OUT/machine.txt" >&2

# The hardware's limit, twice now and once at the end: the summary takes the
# median of the three, so one run without the second vCPU (seen once here:
# 117 GFLOP/s on two threads against 213-232 just after) does not halve
# every "of peak" column.
fma_peak() {
    note "== fma_peak (the hardware's limit)"
    local line
    line=$("$BIN"/fma_peak | tail -n 1) && record fma-peak peak 0 "$line" || note "!! fma_peak failed: no fraction of the hardware's limit"
}
fma_peak
fma_peak

if [ -x "$PEERS_BIN/gemm-probe" ]; then
    for b in 64 256; do
        note "== gemm-probe --batch $b"
        "$PEERS_BIN/gemm-probe" --batch "$b" --skip-square > "$OUT/gemm-probe-$b.jsonl" 2>/dev/null || note "gemm-probe failed"
        line=$(grep '"threads":1' "$OUT/gemm-probe-$b.jsonl" | grep '"step_recipe":"matrixmultiply_direct_strided"' | head -n 1 || true)
        [ -n "$line" ] && record gemm-probe floor "$b" "$line"
        line=$(grep '"threads":2' "$OUT/gemm-probe-$b.jsonl" | grep '"step_recipe":"matrixmultiply_direct_strided"' | head -n 1 || true)
        [ -n "$line" ] && record gemm-probe-2thread floor "$b" "$line"
    done
else
    note "!! gemm-probe not found under $PEERS_BIN: no gemm floor"
fi

for r in $(seq "$REPEAT"); do
    [ "$CNN_ONLY" = 1 ] || [ "$GROWTH_ONLY" = 1 ] && break
    for b in 64 256; do
        note "== backprop mnist --batch $b (run $r)"
        line=$("$BIN"/mnist --epochs "$EPOCHS" --batch "$b" --schedule constant --threads 2 --data "$DATA" --out "$OUT/mnist-$b" --json | tail -n 1)
        record backprop train "$b" "$line"
        note "== backprop mnist --batch $b --threads 1 (run $r)"
        line=$("$BIN"/mnist --epochs "$EPOCHS" --batch "$b" --schedule constant --threads 1 --data "$DATA" --out "$OUT/mnist-$b-1thread" --json | tail -n 1)
        record backprop-1thread train "$b" "$line"
        if [ -n "$PY" ]; then
            note "== pytorch --batch $b (run $r)"
            line=$("$PY" "$SHARED/peers/python/torch_mlp.py" --epochs "$EPOCHS" --batch "$b" --threads 2 --data "$DATA" | tail -n 1)
            record pytorch train "$b" "$line"
        fi
        if [ -x "$PEERS_BIN/candle-mlp" ]; then
            note "== candle --batch $b (run $r)"
            line=$("$PEERS_BIN/candle-mlp" --epochs "$EPOCHS" --batch "$b" --data "$DATA" | tail -n 1)
            record candle train "$b" "$line"
        fi
    done
    if [ -n "$PY" ]; then
        note "== numpy seed (run $r)"
        line=$("$PY" "$SHARED/peers/python/numpy_seed.py" --epochs "$EPOCHS" --init he --data "$DATA" | tail -n 1)
        record numpy-seed train 64 "$line"
    fi
    note "== inference (run $r)"
    line=$("$BIN"/predict --bench --threads 2 --data "$DATA" --json | tail -n 1) && record backprop infer 1 "$line" || note "!! predict --bench failed"
    line=$("$BIN"/predict --bench --threads 1 --data "$DATA" --json | tail -n 1) && record backprop-1thread infer 1 "$line" || note "!! predict --bench failed"
    if [ -n "$PY" ]; then
        line=$("$PY" "$SHARED/peers/python/torch_mlp.py" --infer --threads 1 --data "$DATA" | tail -n 1)
        record pytorch-1thread infer 1 "$line"
        line=$("$PY" "$SHARED/peers/python/torch_mlp.py" --infer --threads 2 --data "$DATA" | tail -n 1)
        record pytorch infer 1 "$line"
        # ONNX Runtime (same threads; its latency includes Python's call overhead).
        line=$("$PY" "$SHARED/peers/python/ort_mlp.py" --threads 2 --data "$DATA" 2>/dev/null | tail -n 1) \
            && record onnxruntime infer 1 "$line" || note "!! ort_mlp.py failed (onnxruntime missing from the venv?)"
        line=$("$PY" "$SHARED/peers/python/ort_mlp.py" --threads 1 --data "$DATA" 2>/dev/null | tail -n 1) \
            && record onnxruntime-1thread infer 1 "$line" || true
    fi
    if [ -x "$PEERS_BIN/candle-mlp" ]; then
        line=$(RAYON_NUM_THREADS=1 "$PEERS_BIN/candle-mlp" --infer --data "$DATA" | tail -n 1)
        record candle-1thread infer 1 "$line"
    fi
done
# The growth table: 784-h-h-10, ours then PyTorch in every cell.
if [ "$GROWTH" = 1 ] && [ "$CNN_ONLY" != 1 ]; then
    for r in $(seq "$GROWTH_REPEAT"); do
        for h in 128 512 2048; do
            limit_var=GROWTH_LIMIT_$h
            case $h in 128) def=60000 ;; 512) def=20000 ;; *) def=6000 ;; esac
            limit=${!limit_var:-$def}
            for b in 64 256 1024; do
                note "== growth h=$h batch $b limit $limit (run $r)"
                line=$("$BIN"/mnist --hidden "$h,$h" --epochs "$GROWTH_EPOCHS" --batch "$b" --limit "$limit" --schedule constant --threads 2 \
                    --data "$DATA" --out "$OUT/growth-$h-$b" --json | tail -n 1)
                record backprop "growth-$h" "$b" "$line"
                if [ -n "$PY" ]; then
                    line=$("$PY" scripts/torch_growth.py --hidden "$h" --epochs "$GROWTH_EPOCHS" --batch "$b" --limit "$limit" --threads 2 \
                        --data "$DATA" 2>/dev/null | tail -n 1) && record pytorch "growth-$h" "$b" "$line" \
                        || note "!! torch_growth.py failed for h=$h batch $b"
                fi
            done
        done
    done
fi
# LeNet-5: examples/cnn against torch_cnn.py, each run alternating with the
# other's, both on 2 threads; inference through predict --bench (the peers'
# --infer protocol) on the model the batch-64 run wrote.
if [ "$CNN" = 1 ]; then
    for r in $(seq "$REPEAT"); do
        for b in 64 256; do
            note "== backprop cnn --batch $b (run $r)"
            line=$("$BIN"/cnn --epochs "$CNN_EPOCHS" --batch "$b" --schedule constant --threads 2 --data "$DATA" --out "$OUT/cnn-$b" --json | tail -n 1)
            record backprop-cnn train "$b" "$line"
            if [ -n "$PY" ]; then
                note "== pytorch LeNet-5 --batch $b (run $r)"
                line=$("$PY" "$SHARED/peers/python/torch_cnn.py" --epochs "$CNN_EPOCHS" --batch "$b" --threads 2 --data "$DATA" | tail -n 1)
                record pytorch-cnn train "$b" "$line"
            fi
        done
        note "== LeNet-5 inference (run $r)"
        line=$("$BIN"/predict --bench --model "$OUT/cnn-64/model.safetensors" --threads 2 --data "$DATA" --json | tail -n 1) \
            && record backprop-cnn infer 1 "$line" || note "!! predict --bench on the LeNet-5 model failed"
        if [ -n "$PY" ]; then
            line=$("$PY" "$SHARED/peers/python/torch_cnn.py" --infer --threads 2 --data "$DATA" | tail -n 1)
            record pytorch-cnn infer 1 "$line"
        fi
    done
    if [ "$CNN_ACCURACY" = 1 ]; then
        # Each with its own defaults: ours print theirs in the run header.
        for set in mnist fashion-mnist; do
            note "== backprop cnn, 10 epochs on $set"
            line=$("$BIN"/cnn --epochs 10 --threads 2 --data "data/$set" --out "$OUT/cnn-accuracy-$set" --json | tail -n 1)
            record backprop-cnn "accuracy-$set" 64 "$line"
            if [ -n "$PY" ]; then
                note "== pytorch LeNet-5, 10 epochs on $set"
                line=$("$PY" "$SHARED/peers/python/torch_cnn.py" --epochs 10 --threads 2 --data "data/$set" | tail -n 1)
                record pytorch-cnn "accuracy-$set" 64 "$line"
            fi
        done
    fi
fi
[ -n "$PY" ] || note "!! no Python peer venv (looked for $SHARED/peers/python/.venv and /tmp/peers-venv): PyTorch and NumPy skipped"
[ -x "$PEERS_BIN/candle-mlp" ] || note "!! candle-mlp not found under $PEERS_BIN: candle skipped"

fma_peak
python3 scripts/bench_summary.py "$OUT/runs.jsonl" | tee "$OUT/summary.md"
