#!/usr/bin/env bash
# The report's browser test opens the page in Debian's Chromium, headless
# (tests/python/test_semantic_layer.py). Installs it when missing and this
# runs as root on Debian (as CI does); otherwise says what to install.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    chromium --version
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "crm-funnel: the report's browser test needs Chromium; install Debian's chromium package" \
        "(sudo apt-get install chromium fonts-liberation)" >&2
    exit 1
fi
# with its recommended packages (fonts among them), as the browser test was
# first seen working
packages=(chromium fonts-liberation)
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q "${packages[@]}"; then
    # a fresh machine may have no package lists yet
    apt-get update -q
    apt-get install -y -q "${packages[@]}"
fi
chromium --version
