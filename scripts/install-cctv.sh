#!/usr/bin/env bash
# Download the C2SP CCTV age test vectors (the Go module c2sp.org/CCTV/age, pinned) into the
# Go module cache, where test/age-core.test.ts reads them. Nothing is copied into the
# repository: the vectors are not committed.
#
#   $(go env GOMODCACHE)/c2sp.org/!c!c!t!v/age@<CCTV_AGE_VERSION>/testdata/*
#
# The version is the one test/age-core.test.ts expects (CCTV_AGE_VERSION there); keep the
# two in step. The test skips with a visible message when the vectors are absent, and fails
# under SOPS_TS_REQUIRE_SOPS=1 once this script is part of .ci/run.
#
# Usage: bash scripts/install-cctv.sh     (Go on PATH; works from any cwd; idempotent)
set -euo pipefail

CCTV_AGE_VERSION="v0.0.0-20251208015420-e9274a7bdbfd"

if ! command -v go >/dev/null 2>&1; then
  echo "install-cctv: Go is not installed (or not on PATH)." >&2
  exit 2
fi
# `go mod download` needs a module context only for @latest-style queries; a pinned
# version works anywhere. Run it from a temporary directory so no go.mod is touched.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
dir="$(go mod download -json "c2sp.org/CCTV/age@$CCTV_AGE_VERSION" | awk -F'"' '$2 == "Dir" { print $4 }')"
if [ -z "$dir" ] || [ ! -d "$dir/testdata" ]; then
  echo "install-cctv: FAILED to download c2sp.org/CCTV/age@$CCTV_AGE_VERSION" >&2
  exit 1
fi
echo "install-cctv: c2sp.org/CCTV/age@$CCTV_AGE_VERSION at $dir ($(ls "$dir/testdata" | wc -l) vectors)"
