#!/usr/bin/env bash
# The report's browser test runs in Debian's Chromium (driven by playwright-core, which never
# downloads a browser of its own). Find it, or install it from Debian's packages when we can.
set -euo pipefail
CHROMIUM=${SORTSCOPE_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium (apt-get) for the report's browser test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  [ -x "$CHROMIUM" ] && exit 0
fi
echo "ensure-chromium: $CHROMIUM not found; install it (as root: apt-get install -y chromium) or set SORTSCOPE_CHROMIUM" >&2
exit 1
