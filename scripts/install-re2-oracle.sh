#!/usr/bin/env bash
# Build the Go regexp oracle that test/re2.test.ts compares src/re2.ts against:
#
#   .tools/re2-oracle/re2-oracle   from test/fixtures/re2-oracle (standard library only)
#
# Go's regexp package is what Go sops matches path_regex and the *_regex selection
# rules with, so its answers (compile error text, MatchString) are the reference.
#
# Usage: bash scripts/install-re2-oracle.sh     (Go >= 1.22 on PATH; works from any cwd)
# Idempotent: skipped when the binary is newer than its sources.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$REPO_ROOT/test/fixtures/re2-oracle"
OUT_DIR="$REPO_ROOT/.tools/re2-oracle"
BIN="$OUT_DIR/re2-oracle"

if ! command -v go >/dev/null 2>&1; then
  echo "install-re2-oracle: Go is not installed (or not on PATH); Go >= 1.22 is needed." >&2
  exit 2
fi
if [ -x "$BIN" ] && [ "$BIN" -nt "$SRC/main.go" ] && [ "$BIN" -nt "$SRC/go.mod" ]; then
  exit 0
fi
mkdir -p "$OUT_DIR"
cd "$SRC"
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$BIN.tmp" .
mv "$BIN.tmp" "$BIN"
echo "install-re2-oracle: built $BIN with $(go version)"
