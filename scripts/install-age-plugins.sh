#!/usr/bin/env bash
# Build the age plugins (and the age CLI) that test/age-plugin.test.ts runs, from pinned
# upstream sources, into git-ignored directories:
#
#   .tools/age-plugins/age-plugin-pq        filippo.io/age/extra/age-plugin-pq@v1.3.1
#   .tools/age-plugins/age-plugin-tag       filippo.io/age/extra/age-plugin-tag@v1.3.1
#   .tools/age-plugins/age-plugin-tagtest   filippo.io/age/tag/internal/age-plugin-tagtest@v1.3.1
#   .tools/age-plugins/age-plugin-batchpass filippo.io/age/cmd/age-plugin-batchpass@v1.3.1
#   .tools/age-plugins/age-plugin-sopstest  test/fixtures/age-plugin-sopstest (ours, on filippo.io/age/plugin v1.3.1)
#   .tools/age/age, .tools/age/age-keygen   filippo.io/age/cmd/...@v1.3.1
#
# v1.3.1 is the age version Go sops 3.13.3 pins (its go.mod), so the plugin framework and
# the client (sops, age) are the ones sops users run. age-plugin-pq handles the
# post-quantum hybrid keys (age1pq1… recipients, AGE-PLUGIN-PQ-1… identities made with
# `age-plugin-pq -identity`); age-plugin-tag wraps to age1tag1… recipients; age-plugin-
# tagtest decrypts files for age's fixed test tag recipient; age-plugin-batchpass encrypts to
# its identity (recipient-v1 `add-identity`) with a passphrase from the environment;
# age-plugin-sopstest is a test plugin that also speaks the interactive commands (msg,
# request-*, confirm).
#
# Usage: bash scripts/install-age-plugins.sh     (Go >= 1.24 on PATH; works from any cwd)
# Idempotent: a binary is skipped when `go version -m` reports the pinned module version
# (for the fixture: when a stamp of its sources matches).
set -euo pipefail

AGE_VERSION="v1.3.1"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
PLUGIN_DIR="$REPO_ROOT/.tools/age-plugins"
AGE_DIR="$REPO_ROOT/.tools/age"
FIXTURE="$REPO_ROOT/test/fixtures/age-plugin-sopstest"

if ! command -v go >/dev/null 2>&1; then
  echo "install-age-plugins: Go is not installed (or not on PATH); Go >= 1.24 is needed." >&2
  exit 2
fi
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
mkdir -p "$PLUGIN_DIR" "$AGE_DIR"

# mod_version BIN: the main module version recorded in a Go binary ("" if unknown).
mod_version() {
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

status=0
# install DIR PACKAGE: go install PACKAGE@AGE_VERSION into DIR unless already there.
install() {
  local dir="$1" pkg="$2"
  local bin="$dir/${pkg##*/}"
  if [ -x "$bin" ] && [ "$(mod_version "$bin")" = "$AGE_VERSION" ]; then
    echo "install-age-plugins: ${pkg##*/} $AGE_VERSION already installed at $bin"
    return
  fi
  echo "install-age-plugins: building $pkg@$AGE_VERSION ..."
  if ! GOBIN="$dir" go install "$pkg@$AGE_VERSION"; then
    echo "install-age-plugins: FAILED to build $pkg@$AGE_VERSION" >&2
    status=1
  fi
}

install "$PLUGIN_DIR" filippo.io/age/extra/age-plugin-pq
install "$PLUGIN_DIR" filippo.io/age/extra/age-plugin-tag
install "$PLUGIN_DIR" filippo.io/age/tag/internal/age-plugin-tagtest
install "$PLUGIN_DIR" filippo.io/age/cmd/age-plugin-batchpass
install "$AGE_DIR" filippo.io/age/cmd/age
install "$AGE_DIR" filippo.io/age/cmd/age-keygen

# The fixture plugin: rebuilt when its sources change (stamp = sha256 of the sources).
bin="$PLUGIN_DIR/age-plugin-sopstest"
stamp="$(cat "$FIXTURE/main.go" "$FIXTURE/go.mod" "$FIXTURE/go.sum" | sha256sum | cut -d' ' -f1)"
if [ -x "$bin" ] && [ -f "$bin.stamp" ] && [ "$(cat "$bin.stamp")" = "$stamp" ]; then
  echo "install-age-plugins: age-plugin-sopstest already built at $bin"
else
  echo "install-age-plugins: building test/fixtures/age-plugin-sopstest ..."
  if (cd "$FIXTURE" && go build -trimpath -o "$bin" .); then
    echo "$stamp" > "$bin.stamp"
  else
    echo "install-age-plugins: FAILED to build age-plugin-sopstest" >&2
    status=1
  fi
fi

exit "$status"
