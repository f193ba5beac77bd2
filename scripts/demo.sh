#!/usr/bin/env bash
# The demo: what `make demo` shows a new user. Later issues extend it with the
# simulator, plan and apply.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./bin/reposync
"$bin" version
echo "== reposync validate examples/minimal"
"$bin" validate examples/minimal
echo "== reposync validate examples/realistic"
"$bin" validate examples/realistic
