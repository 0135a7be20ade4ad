#!/usr/bin/env bash
# The web page's tests, as CI runs them (`bash web/tests/run.sh` from anywhere):
# installs Debian's chromium if missing, the test runner's one npm package,
# builds the wasm engine (web/build.sh) and the native check (step_dw),
# serves web/ on a free localhost port, runs the node tests (the
# preprocessing unit tests, the wasm products against a plain product, and
# the browser tests), stops the server.
# Screenshots land in web/tests/artifacts/.
set -euo pipefail
tests="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$tests/../.." && pwd)"

if [ ! -x /usr/bin/chromium ]; then
    echo "== installing chromium (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

echo "== npm ci (playwright-core)"
(cd "$tests" && npm ci --no-audit --no-fund --loglevel=error)

echo "== building the wasm engine"
bash "$root/web/build.sh"

echo "== building the native check (step_dw)"
(cd "$root" && cargo build --quiet --release -p backprop-web --example step_dw)

echo "== serving web/"
log="$(mktemp)"
node "$tests/serve.mjs" 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    grep -q '^serving ' "$log" && break
    sleep 0.1
done
url="$(sed -n 's/^serving //p' "$log")"
if [ -z "$url" ]; then echo "the server did not start:"; cat "$log"; exit 1; fi
echo "$url"

echo "== browser tests"
cd "$tests"
BASE_URL="$url" node --test --test-concurrency=1 --test-reporter=spec mnistify.test.mjs idx.test.mjs products.test.mjs page.test.mjs
