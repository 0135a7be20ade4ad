#!/usr/bin/env bash
# Builds the page's engine (web/build.sh), then serves web/ on localhost and
# prints the address. PORT=8000 by default; Ctrl-C stops the server.
set -euo pipefail
web="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$web/build.sh"
port="${PORT:-8000}"
echo "backprop playground: http://localhost:$port/"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$web"
