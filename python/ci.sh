#!/usr/bin/env bash
# The Python package's CI (issue #19), called by .ci/run as `bash python/ci.sh`.
# Formats, lints and unit-tests the PyO3 crate (it is outside the root workspace), builds
# the wheel in release with maturin, installs it in a fresh venv with numpy,
# scikit-learn, pytest, safetensors, pandas (so check_estimator runs its
# pandas checks), ray and onnxruntime, and runs python/tests.
#
# Environment: PYTHON (default python3), BACKPROP_PY_VENV (default
# target/python-venv), CARGO_TARGET_DIR (default target/python).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/python}"
venv="${BACKPROP_PY_VENV:-$root/target/python-venv}"
py="${PYTHON:-python3}"

echo "== python: cargo fmt --check, clippy, unit tests"
cargo fmt --manifest-path python/Cargo.toml -- --check
cargo clippy --manifest-path python/Cargo.toml --all-targets --locked -- -D warnings
echo "== python: cargo test (the crate's unit tests: penalty, scikit-learn's Adam, the epoch loop)"
cargo test --manifest-path python/Cargo.toml --lib --locked

echo "== python: venv at $venv"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    "maturin>=1.5,<2" numpy scikit-learn pytest safetensors pandas ray onnxruntime

echo "== python: maturin build --release"
wheels="$CARGO_TARGET_DIR/wheels"
rm -rf "$wheels"
"$venv/bin/maturin" build --release --locked --manifest-path python/Cargo.toml \
    --interpreter "$venv/bin/python" -o "$wheels"
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/*.whl

echo "== python: pytest"
# From the repository root, so python/backprop (sources without the compiled
# module) never shadows the installed package.
"$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider
