#!/usr/bin/env bash
# Fuzz the loaders with cargo-fuzz (libFuzzer): the IDX reader, the CSV
# loader, the model-file/checkpoint loader, the image decoders and the ONNX
# importer (targets in fuzz/fuzz_targets).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run each target SECONDS (default 60),
#                                           all targets (idx csv model png pgm
#                                           onnx_import) by default
#   scripts/fuzz.sh corpus                  rewrite the seeds fuzz/corpus-gen
#                                           writes (idx, csv, model, and the
#                                           backprop-*.onnx of onnx_import); the
#                                           hand-made png/pgm seeds and the
#                                           torch-*.onnx ones stay
#
# Each target starts from its committed seeds (fuzz/corpus/TARGET, read only)
# and keeps what it finds in fuzz/work/TARGET (not committed); a crash is
# saved under fuzz/artifacts/TARGET/. At the end it prints, per target, the
# executions, the time and the crashes, and exits non-zero if any crashed.
#
# cargo-fuzz builds with nightly-only flags (-Zsanitizer=address, -Z options
# of the coverage instrumentation). The toolchain here is stable only, so this
# script sets RUSTC_BOOTSTRAP=1, which lets a stable rustc accept them. The
# build uses release optimisation *with* debug assertions and overflow checks
# (cargo fuzz -O -a), so an arithmetic overflow is a crash too, as it would be
# in a debug build of a user's program.
#
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. FUZZ_FLAGS=-jobs=2).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1
targets_all=(idx csv model png pgm onnx_import)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz…" >&2
    cargo install cargo-fuzz --locked
fi

if [[ "${1:-}" == corpus ]]; then
    rm -rf corpus/idx corpus/csv corpus/model corpus/onnx_import/backprop-*
    cargo run --release -q -p backprop-fuzz-corpus -- corpus
    exit 0
fi

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...] | scripts/fuzz.sh corpus" >&2
    exit 2
fi
shift || true
targets=("$@")
(( ${#targets[@]} )) || targets=("${targets_all[@]}")

echo "building the fuzz targets (${targets[*]})…"
if (( $# )); then
    # Only the targets asked for: each sanitizer build is minutes on 2 cores.
    for t in "${targets[@]}"; do cargo fuzz build -O -a "$t"; done
else
    cargo fuzz build -O -a
fi

summary=()
failed=0
for t in "${targets[@]}"; do
    mkdir -p "work/$t" "artifacts/$t"
    log="work/$t.log"
    before=$(find "artifacts/$t" -type f | wc -l)
    dict=()
    [[ -f "dict/$t.dict" ]] && dict=("-dict=dict/$t.dict")
    echo "== $t: ${seconds}s (log: fuzz/$log)"
    start=$(date +%s)
    status=0
    # FUZZ_FLAGS is split into words on purpose.
    # shellcheck disable=SC2086
    cargo fuzz run -O -a "$t" "work/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${dict[@]}" ${FUZZ_FLAGS:-} >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    # The idx target's scratch directories (one per fuzzing process, named by pid).
    for d in /dev/shm/backprop-fuzz-idx-* "${TMPDIR:-/tmp}"/backprop-fuzz-idx-*; do
        [[ -d "$d" ]] && ! kill -0 "${d##*-}" 2>/dev/null && rm -rf "$d"
    done
    # libFuzzer's own count of fuzzing seconds (without cargo's rebuild, if any).
    fuzzed=$(awk '/^Done [0-9]+ runs in/ { s = $5 } END { if (s != "") print s }' "$log")
    execs=$(awk '/stat::number_of_executed_units:/ { n += $2 } END { if (n) print n }' "$log")
    [[ -n "$execs" ]] || execs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
    after=$(find "artifacts/$t" -type f | wc -l)
    crashes=$(( after - before ))
    if (( status != 0 && crashes == 0 )); then
        crashes="? (exit $status, see fuzz/$log)"
        failed=1
    elif (( crashes > 0 )); then
        failed=1
    fi
    line="$t: ${execs:-0} executions in ${fuzzed:-$elapsed}s, crashes: $crashes, corpus: $(find "work/$t" -type f | wc -l) inputs"
    echo "$line"
    summary+=("$line")
done

echo
echo "== fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
ls artifacts/*/* 2>/dev/null | sed 's/^/crash input: fuzz\//' || true
exit "$failed"
