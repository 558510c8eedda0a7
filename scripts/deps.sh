#!/usr/bin/env bash
# deps.sh - install what building and testing ofi needs on Debian 12, when missing.
# Safe to run again: it installs only missing packages, and only as root (or via sudo).
set -euo pipefail

# chromium (and a font for its screenshots): the dashboard test renders
# reports/dashboard.html headless (tests/e2e/dashboard.sh).
pkgs=(build-essential cmake pkg-config libxxhash-dev libcriterion-dev libmariadb-dev
      libmariadb-dev-compat python3 chromium fonts-dejavu-core)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
