#!/usr/bin/env bash
# Install Chromium for the browser tests (test/browser.test.ts), which drive
# Debian's `chromium` at /usr/bin/chromium through playwright-core.
#
# Idempotent: does nothing when /usr/bin/chromium exists. Otherwise installs
# the Debian/Ubuntu package `chromium` with apt-get when run as root, and
# prints the command to run when not (it never calls sudo by itself).
# Without Chromium the browser tests skip with a visible message;
# SOPS_TS_REQUIRE_BROWSER=1 (set by CI) turns that skip into a failure.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "install-chromium: $CHROMIUM is installed ($("$CHROMIUM" --version 2>/dev/null | head -n 1 || echo 'version unknown'))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: $CHROMIUM is missing and apt-get is not available." >&2
  echo "install-chromium: install Chromium so that $CHROMIUM exists, then rerun the tests." >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: $CHROMIUM is missing. Install it as root with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 2
fi

echo "install-chromium: installing the Debian package chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
if [ ! -x "$CHROMIUM" ]; then
  echo "install-chromium: apt-get installed chromium but $CHROMIUM does not exist" >&2
  exit 1
fi
echo "install-chromium: installed $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
