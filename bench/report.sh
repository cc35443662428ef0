#!/usr/bin/env bash
# `scaletrace report` on a 24-hour simulated journal: wall time and peak RSS
# (issue #13, item 9: the goal is under 5 s and 64 MiB).
#
#   bench/report.sh [RESULTS.md]         (default: bench/results.md)
#
# Environment (all optional):
#   BIN=target/release/scaletrace   the binary to measure (built with
#                                   `cargo build --release` unless SKIP_BUILD=1
#                                   or BIN is given)
#   HOURS=24                        simulated hours in the journal
#
# How the journal is made: `scaletrace run profiles/demo.toml` (40 simulated
# minutes on the simulated endpoint, every kind of record), then its
# one-second `interval` lines and its `metric` datapoints are repeated,
# shifted by 40 minutes each time, until HOURS are covered (the phases,
# alarms, activities and endpoint lines stay those of the first 40
# minutes; `end` moves to the last second). What `report` then reads is a
# 24-hour journal of the size a real 24-hour run writes (~48 MB).
#
# Writes (or replaces) the "report on a long journal" section of
# RESULTS.md, between its two marker comments. Needs python3 and
# /usr/bin/time (Debian `time`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/bench/results.md}"
HOURS="${HOURS:-24}"
if [ -z "${BIN:-}" ]; then
    BIN="$ROOT/target/release/scaletrace"
    if [ -z "${SKIP_BUILD:-}" ]; then
        (cd "$ROOT" && cargo build --release --locked)
    fi
fi
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 3; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "==> a 40-minute simulated run (profiles/demo.toml)"
"$BIN" run "$ROOT/profiles/demo.toml" --run-dir "$WORK/base" --quiet >/dev/null

echo "==> repeating it to $HOURS hours"
python3 - "$WORK/base" "$WORK/long" "$HOURS" <<'PY'
import json, os, shutil, sys
base, long, hours = sys.argv[1], sys.argv[2], float(sys.argv[3])
os.makedirs(long)
shutil.copy(os.path.join(base, "run.json"), long)
lines = [json.loads(l) for l in open(os.path.join(base, "journal.jsonl"))]
span = max(r["t"] for r in lines if r["type"] == "interval")
total = hours * 3600
with open(os.path.join(long, "journal.jsonl"), "w") as out:
    k = 0
    while k * span < total:
        shift = k * span
        for r in lines:
            kind = r["type"]
            if kind == "end":
                continue
            if k > 0 and kind not in ("interval", "metric"):
                continue
            r = dict(r)
            if kind == "interval":
                if r["t"] + shift > total:
                    continue
                r["start"] += shift
                r["t"] += shift
            elif kind == "metric" and k > 0:
                r["t"] += shift
                r["period_start"] += shift
            out.write(json.dumps(r, separators=(",", ":")) + "\n")
        k += 1
    out.write(json.dumps({"type": "end", "t": total, "reason": "completed"}) + "\n")
PY
SIZE_MB=$(du -m "$WORK/long/journal.jsonl" | cut -f1)
LINES=$(wc -l < "$WORK/long/journal.jsonl")

echo "==> scaletrace report ($SIZE_MB MB, $LINES lines)"
set +e
/usr/bin/time -v "$BIN" report "$WORK/long" >/dev/null 2>"$WORK/time.txt"
CODE=$?
set -e
WALL=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
RSS_KB=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
RSS_MIB=$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')
HTML_KB=$(du -k "$WORK/long/report.html" 2>/dev/null | cut -f1 || echo "-")
echo "wall $WALL, peak RSS $RSS_MIB MiB, report.html $HTML_KB KiB, exit $CODE"

SECTION="$WORK/section.md"
{
    echo "<!-- report-bench:start -->"
    echo "## \`scaletrace report\` on a ${HOURS}-hour journal (bench/report.sh)"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "- binary: \`${BIN#"$ROOT/"}\` ($("$BIN" --version 2>/dev/null || echo scaletrace))"
    echo "- journal: $SIZE_MB MB, $LINES lines (demo.toml's 40 simulated minutes repeated to ${HOURS} h)"
    echo "- goal: under 5 s and 64 MiB"
    echo
    echo "| wall (m:ss) | peak RSS MiB | report.html KiB | exit |"
    echo "|---:|---:|---:|---:|"
    echo "| $WALL | $RSS_MIB | $HTML_KB | $CODE |"
    echo "<!-- report-bench:end -->"
} > "$SECTION"
touch "$OUT"
python3 - "$OUT" "$SECTION" <<'PY'
import re, sys
out, section = sys.argv[1], open(sys.argv[2]).read()
text = open(out).read()
pattern = re.compile(r"<!-- report-bench:start -->.*?<!-- report-bench:end -->\n?", re.S)
text = pattern.sub("", text).rstrip("\n")
open(out, "w").write((text + "\n\n" if text else "") + section)
PY
echo "written to $OUT"
