#!/usr/bin/env bash
# Install pinned Go sops binaries into .tools/sops-<version>/sops (git-ignored).
#
# Usage:
#   bash scripts/install-sops.sh                 # default: the releases with reference vectors
#   bash scripts/install-sops.sh 3.9.4 3.12.1    # explicit list
#   SOPS_VERSIONS="3.11.0 3.13.3" bash scripts/install-sops.sh
#
# Default list (vectors/README.md explains the choice): the newest 3.13.x, the newest 3.12.x,
# one 3.10.x and one 3.8.x. 3.7.x does not build from the module proxy (see vectors/README.md).
# scripts/gen-vectors.mjs reads DEFAULT_VERSIONS below to know which releases to generate.
#
# Each version is built with:
#   GOBIN=$PWD/.tools/sops-<ver> go install github.com/getsops/sops/v3/cmd/sops@v<ver>
# (~90 s per release with Go 1.26 on 2 cores and a warm module cache; more on a cold one).
# Idempotent: a version is skipped if its binary exists and `--version` reports it.
# Needs Go >= 1.22 on PATH. Works from any cwd.
set -euo pipefail

DEFAULT_VERSIONS="3.13.3 3.13.1 3.12.2 3.10.2 3.8.1"
MODULE="github.com/getsops/sops/v3/cmd/sops"
# Releases before 3.8.0 declare the module path go.mozilla.org/sops/v3 in their go.mod, so
# `go install github.com/getsops/sops/v3/...@v3.7.3` fails with "module declares its path as".
LEGACY_MODULE="go.mozilla.org/sops/v3/cmd/sops"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

if [ "$#" -gt 0 ]; then
  VERSIONS="$*"
else
  VERSIONS="${SOPS_VERSIONS:-$DEFAULT_VERSIONS}"
fi
# allow commas as separators too
VERSIONS="${VERSIONS//,/ }"

if ! command -v go >/dev/null 2>&1; then
  echo "install-sops: Go is not installed (or not on PATH)." >&2
  echo "install-sops: Go >= 1.22 is needed to build sops (https://go.dev/dl/)." >&2
  exit 2
fi

GO_VERSION="$(go env GOVERSION 2>/dev/null || true)" # e.g. go1.26.8
GO_MM="${GO_VERSION#go}"
GO_MAJOR="${GO_MM%%.*}"
GO_REST="${GO_MM#*.}"
GO_MINOR="${GO_REST%%[!0-9]*}"
if [ -z "$GO_MAJOR" ] || [ -z "$GO_MINOR" ] || ! [[ "$GO_MAJOR" =~ ^[0-9]+$ ]] || \
   [ "$GO_MAJOR" -lt 1 ] || { [ "$GO_MAJOR" -eq 1 ] && [ "$GO_MINOR" -lt 22 ]; }; then
  echo "install-sops: found '${GO_VERSION:-unknown}', but Go >= 1.22 is needed to build sops." >&2
  exit 2
fi

# Older sops releases need an older toolchain; let Go fetch one if go.mod asks.
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"

status=0
for raw in $VERSIONS; do
  ver="${raw#v}"
  if ! [[ "$ver" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-.+][0-9A-Za-z.-]+)?$ ]]; then
    echo "install-sops: '$raw' does not look like a sops version (e.g. 3.13.3)" >&2
    status=1
    continue
  fi
  dir="$REPO_ROOT/.tools/sops-$ver"
  bin="$dir/sops"
  if [ -x "$bin" ]; then
    have="$(env SOPS_DISABLE_VERSION_CHECK=1 "$bin" --disable-version-check --version 2>/dev/null | head -n1 || true)"
    if [ -z "$have" ]; then
      have="$(env SOPS_DISABLE_VERSION_CHECK=1 "$bin" --version 2>/dev/null | head -n1 || true)"
    fi
    case "$have" in
      "sops $ver"|"sops $ver "*)
        echo "install-sops: sops $ver already installed at $bin"
        continue
        ;;
    esac
    echo "install-sops: $bin reports '$have', reinstalling $ver"
  fi
  mkdir -p "$dir"
  module="$MODULE"
  minor="${ver#*.}"; minor="${minor%%.*}"
  if [ "${ver%%.*}" = "3" ] && [ "$minor" -lt 8 ]; then module="$LEGACY_MODULE"; fi
  echo "install-sops: building $module@v$ver (this can take a few minutes) ..."
  start=$SECONDS
  if GOBIN="$dir" go install "$module@v$ver"; then
    have="$(env SOPS_DISABLE_VERSION_CHECK=1 "$bin" --version 2>/dev/null | head -n1 || true)"
    echo "install-sops: installed sops $ver at $bin ($have) in $((SECONDS - start))s"
  else
    echo "install-sops: FAILED to install sops $ver after $((SECONDS - start))s" >&2
    rmdir "$dir" 2>/dev/null || true
    status=1
  fi
done
exit "$status"
