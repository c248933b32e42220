#!/usr/bin/env bash
# Installs the independent WebSocket interop peers used by the test suite:
#   - Debian python3-websockets (used via /usr/bin/python3)
#   - Debian chromium (/usr/bin/chromium, driven headless by playwright-core)
#   - tests/interop node_modules (ws, playwright-core) from package-lock.json
# Idempotent; safe to run repeatedly from any directory, as root, with no stdin.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(python3-websockets chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1 || ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-peers: installing apt packages: ${missing[*]}"
  $SUDO apt-get update -qq </dev/null
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
else
  echo "install-peers: apt packages already installed: ${APT_PACKAGES[*]}"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-peers: node/npm missing, installing from apt"
  $SUDO apt-get update -qq </dev/null
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm </dev/null
fi

cd "$REPO_ROOT/tests/interop"
# Skip npm ci when node_modules already matches the lockfile.
if [ -f node_modules/.package-lock.json ] && cmp -s <(node -e 'const l=require("./package-lock.json");const p=Object.fromEntries(Object.entries(l.packages).filter(([k])=>k).map(([k,v])=>[k,v.version]));console.log(JSON.stringify(p))') \
     <(node -e 'const l=require("./node_modules/.package-lock.json");const p=Object.fromEntries(Object.entries(l.packages).filter(([k])=>k).map(([k,v])=>[k,v.version]));console.log(JSON.stringify(p))'); then
  echo "install-peers: tests/interop/node_modules up to date"
else
  npm ci --no-audit --no-fund </dev/null
fi

echo "install-peers: python3-websockets $(/usr/bin/python3 -c 'import websockets;print(websockets.__version__)')"
echo "install-peers: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?')"
echo "install-peers: ws $(node -p 'require("ws/package.json").version'), playwright-core $(node -p 'require("playwright-core/package.json").version')"
