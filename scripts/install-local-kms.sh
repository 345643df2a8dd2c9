#!/usr/bin/env bash
# Build a pinned nsmithuk/local-kms (a local AWS KMS emulator, Go) into
# .tools/local-kms/local-kms (git-ignored), for test/kms-aws.test.ts.
#
# Usage: bash scripts/install-local-kms.sh
#
# Pin: local-kms tags its releases "3.12.0" (no "v") and its module path has no
# /v3, so the Go module proxy knows no semantic version of it and serves only
# exact pseudo-versions. We pin the newest commit, which is the 3.12.0 release
# plus its CI/Docker and Go 1.20 updates:
#   github.com/nsmithuk/local-kms v0.0.0-20231025161602-e4d9425700fe  (commit e4d9425700fe)
# `go install pkg@version` cannot be used: it asks the proxy for the module's
# version list (to look for deprecations), which the proxy refuses. So we build
# from a throw-away module that requires the pinned version (go.sum checked
# against the checksum database as usual).
#
# Idempotent: skipped when the binary exists and .tools/local-kms/VERSION holds
# the pinned version. Needs Go >= 1.20 on PATH (~20 s with a warm module cache).
set -euo pipefail

MODULE="github.com/nsmithuk/local-kms"
VERSION="v0.0.0-20231025161602-e4d9425700fe"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$REPO_ROOT/.tools/local-kms"
BIN="$DIR/local-kms"

if [ -x "$BIN" ] && [ "$(cat "$DIR/VERSION" 2>/dev/null || true)" = "$VERSION" ]; then
  echo "install-local-kms: local-kms $VERSION already installed at $BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-local-kms: Go is not installed (or not on PATH); Go >= 1.20 is needed (https://go.dev/dl/)." >&2
  exit 2
fi

export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<EOF
module sops-ts.local/local-kms-build

go 1.20

require $MODULE $VERSION
EOF
# A build-tagged import keeps the requirement through `go mod tidy` without
# compiling a main package as a library.
cat >"$work/tools.go" <<EOF
//go:build tools

package tools

import _ "$MODULE"
EOF

mkdir -p "$DIR"
echo "install-local-kms: building $MODULE@$VERSION ..."
start=$SECONDS
(
  cd "$work"
  GOFLAGS=-mod=mod go mod tidy
  CGO_ENABLED=0 go build -trimpath -o "$BIN.tmp" "$MODULE"
)
mv "$BIN.tmp" "$BIN"
echo "$VERSION" >"$DIR/VERSION"
echo "install-local-kms: installed local-kms $VERSION at $BIN in $((SECONDS - start))s"
