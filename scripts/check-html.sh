#!/usr/bin/env bash
# Checks a report.html: first that no two text elements of a chart overlap
# and none leaves its chart (the SVG text extents of
# `scaletrace::report::svg::layout_problems`, through
# `cargo run --example check_layout`; the tests run the same check), then
# opens it in headless Chromium, takes a screenshot, and fails on console
# errors. Installs Debian's chromium when it is missing; SKIP_BROWSER=1
# runs the layout check alone.
#
#   scripts/check-html.sh RUN_DIR/report.html [out.png]
set -euo pipefail
html="${1:?usage: scripts/check-html.sh REPORT_HTML [OUT_PNG]}"
out="${2:-${html%.html}.png}"
[ -f "$html" ] || { echo "no such file: $html" >&2; exit 2; }

echo "==> chart layout: overlapping text" >&2
(cd "$(dirname "$0")/.." && cargo run --quiet --locked --example check_layout -- "$(cd "$(dirname "$html")" && pwd)/$(basename "$html")") || {
  echo "chart layout faults in $html" >&2; exit 1; }
if [ "${SKIP_BROWSER:-}" = 1 ]; then echo "ok: $html (layout only)"; exit 0; fi

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done
if [ -z "$browser" ]; then
  echo "==> installing chromium (apt-get)" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  browser=chromium
fi

profile_dir="$(mktemp -d)"
log="$(mktemp)"
trap 'rm -rf "$profile_dir" "$log"' EXIT
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run \
  --user-data-dir="$profile_dir" --enable-logging=stderr --v=0 \
  --screenshot="$out" --window-size=1400,3000 "$url" 2>"$log" || {
    cat "$log" >&2; echo "chromium failed" >&2; exit 1; }
if grep -E "Uncaught|ERROR:CONSOLE|Refused to" "$log" >&2; then
  echo "console errors in $html" >&2
  exit 1
fi
[ -s "$out" ] || { echo "no screenshot written" >&2; exit 1; }
echo "ok: $out"
