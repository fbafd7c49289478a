#!/usr/bin/env bash
# Idempotent: headless Chromium for the HTML report tests (tests/browser), from Debian's packages.
# Skipped when `chromium` is already on PATH. Installing needs root (or sudo) and apt-get; elsewhere
# it says what to install. The tests fail (not skip) in CI (CI=true) when Chromium is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: no chromium and no apt-get: install Chromium (headless) for tests/browser" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "warning: no chromium and not root: run 'apt-get install -y chromium' as root" >&2
    exit 0
  fi
fi
echo "==> installing chromium (Debian package) for the HTML report tests"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium
