#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian/Ubuntu machine, and nothing twice:
# uv (pinned, into .tools/), the Python environment from uv.lock, Node.js when missing, the npm
# packages from package-lock.json, and, with --browser, Debian's Chromium for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
want_browser=0
for arg in "$@"; do [ "$arg" = "--browser" ] && want_browser=1; done

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ ! -f /var/lib/apt/periodic/kotacerdas-updated ] || [ -n "$(find /var/lib/apt/periodic/kotacerdas-updated -mmin +720 2>/dev/null)" ]; then
    $sudo apt-get update -qq
    $sudo mkdir -p /var/lib/apt/periodic && $sudo touch /var/lib/apt/periodic/kotacerdas-updated
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Python 3.11 with venv.
if ! python3 -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
  echo "Kota Cerdas needs Python 3.11 (Django 5.2 LTS); found: $(python3 --version 2>&1)" >&2
  exit 1
fi
if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  if ! python3 -m venv .tools 2>/dev/null; then
    apt_install python3-venv
    python3 -m venv .tools
  fi
  .tools/bin/pip install -q "uv==$UV_VERSION"
fi
.tools/bin/uv sync --frozen --python python3 -q

# Node.js for the front-end build.
if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# gettext compiles the translation catalogues (msgfmt).
if ! command -v msgfmt >/dev/null 2>&1; then
  apt_install gettext
fi

if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium fonts-noto-core
fi
