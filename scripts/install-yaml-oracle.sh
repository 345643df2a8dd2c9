#!/usr/bin/env bash
# Build the go-yaml oracle that test/yaml-scalars.test.ts compares the YAML store's reader
# against, into a git-ignored directory:
#
#   .tools/yaml-oracle/yaml-oracle   test/fixtures/yaml-oracle (ours, on go.yaml.in/yaml/v3 v3.0.4)
#
# v3.0.4 is the go-yaml version Go sops 3.13.3 pins (its go.mod; `go version -m
# .tools/sops-3.13.3/sops` shows the same module hash), so the oracle reads YAML exactly as
# sops does. The oracle prints every node go-yaml decodes (value, style, tag, position,
# comments) or go-yaml's error text.
#
# Usage: bash scripts/install-yaml-oracle.sh     (Go >= 1.24 on PATH; works from any cwd)
# Idempotent: skipped when a stamp of the fixture's sources matches the built binary.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURE="$REPO_ROOT/test/fixtures/yaml-oracle"
OUT_DIR="$REPO_ROOT/.tools/yaml-oracle"
bin="$OUT_DIR/yaml-oracle"

if ! command -v go >/dev/null 2>&1; then
  echo "install-yaml-oracle: Go is not installed (or not on PATH); Go >= 1.24 is needed." >&2
  exit 2
fi
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
mkdir -p "$OUT_DIR"

stamp="$(cat "$FIXTURE/main.go" "$FIXTURE/go.mod" "$FIXTURE/go.sum" | sha256sum | cut -d' ' -f1)"
if [ -x "$bin" ] && [ -f "$bin.stamp" ] && [ "$(cat "$bin.stamp")" = "$stamp" ]; then
  echo "install-yaml-oracle: already built at $bin"
  exit 0
fi
echo "install-yaml-oracle: building test/fixtures/yaml-oracle ..."
(cd "$FIXTURE" && go build -trimpath -o "$bin" .)
echo "$stamp" > "$bin.stamp"
echo "install-yaml-oracle: built $bin"
