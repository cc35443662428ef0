#!/usr/bin/env bash
# `scaletrace report` on long journals: wall time, CPU time, peak RSS and
# the size of report.html (issue #13, item 9: the goal is under 5 s and
# 64 MiB on a 24-hour journal, and a report.html that does not grow with
# the number of phases).
#
#   bench/report.sh [RESULTS.md]         (default: bench/results.md)
#
# Environment (all optional):
#   BIN=target/release/scaletrace   the binary to measure (built with
#                                   `cargo build --release` unless SKIP_BUILD=1
#                                   or BIN is given)
#   BEFORE_BIN=PATH                 a second binary (e.g. one built from an
#                                   older commit) measured on the same
#                                   journals, as the "before" rows
#   HOURS=24                        simulated hours in the journals
#   PHASES=100000                   phases in the second journal (0: skip it)
#
# The journals (bench/report/make_journal.py): `scaletrace run
# profiles/demo.toml` (40 simulated minutes on the simulated endpoint,
# every kind of record), its one-second `interval` lines and its `metric`
# datapoints repeated, shifted by 40 minutes each time, until HOURS are
# covered (~48 MB for 24 h: the size a real 24-hour run writes); the
# second one the same with its phases replaced by PHASES ramp phases of a
# sine, in the journal and in run.json.
#
# Writes (or replaces) the "report" section of RESULTS.md, between its two
# marker comments, with `uptime` before each run. Needs python3 and
# /usr/bin/time (Debian `time`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/bench/results.md}"
HOURS="${HOURS:-24}"
PHASES="${PHASES:-100000}"
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

CASES=("day")
echo "==> repeating it to $HOURS hours"
python3 "$ROOT/bench/report/make_journal.py" "$WORK/base" "$WORK/day" "$HOURS"
if [ "$PHASES" -gt 0 ]; then
    echo "==> and with $PHASES phases"
    python3 "$ROOT/bench/report/make_journal.py" "$WORK/base" "$WORK/phases" "$HOURS" "$PHASES"
    CASES+=("phases")
fi

ROWS="$WORK/rows.md"
LOADS="$WORK/loads.txt"
: >"$ROWS"
: >"$LOADS"
# measure LABEL BINARY CASE: one `report` run, one table row.
measure() {
    local label="$1" bin="$2" case="$3" dir="$WORK/run-$1-$3"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$WORK/$case/run.json" "$WORK/$case/journal.jsonl" "$dir/"
    local size_mb lines what
    size_mb=$(du -m "$dir/journal.jsonl" | cut -f1)
    lines=$(wc -l <"$dir/journal.jsonl")
    if [ "$case" = day ]; then what="${HOURS} h"; else what="${HOURS} h, $PHASES phases"; fi
    echo "$label, $what: $(uptime)" >>"$LOADS"
    echo "==> $label: scaletrace report ($what, $size_mb MB, $lines lines)"
    set +e
    /usr/bin/time -v "$bin" report "$dir" >/dev/null 2>"$dir/time.txt"
    local code=$?
    set -e
    local wall user sys rss_kb
    wall=$(grep "Elapsed (wall clock)" "$dir/time.txt" | awk '{print $NF}')
    user=$(grep "User time (seconds)" "$dir/time.txt" | awk '{print $NF}')
    sys=$(grep "System time (seconds)" "$dir/time.txt" | awk '{print $NF}')
    rss_kb=$(grep "Maximum resident set size" "$dir/time.txt" | awk '{print $NF}')
    local cpu rss_mib html_kb
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    rss_mib=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
    html_kb=$(du -k "$dir/report.html" 2>/dev/null | cut -f1 || echo "-")
    echo "    wall $wall, CPU $cpu s, peak RSS $rss_mib MiB, report.html $html_kb KiB, exit $code"
    echo "| $label | $what | $size_mb | $wall | $cpu | $rss_mib | $html_kb | $code |" >>"$ROWS"
}
for case in "${CASES[@]}"; do
    if [ -n "${BEFORE_BIN:-}" ]; then
        measure before "$BEFORE_BIN" "$case"
    fi
    measure after "$BIN" "$case"
done

SECTION="$WORK/section.md"
{
    echo "<!-- report-bench:start -->"
    echo "## report: \`scaletrace report\` on long journals (bench/report.sh)"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "- after: \`${BIN#"$ROOT/"}\` ($("$BIN" --version 2>/dev/null || echo scaletrace))"
    if [ -n "${BEFORE_BIN:-}" ]; then
        echo "- before: \`$BEFORE_BIN\` ($("$BEFORE_BIN" --version 2>/dev/null || echo scaletrace))"
    fi
    echo "- journals: demo.toml's 40 simulated minutes repeated to ${HOURS} h; the second with $PHASES ramp phases (bench/report/make_journal.py)"
    echo "- goal (issue #13, item 9): a 24-hour journal under 5 s and 64 MiB; report.html not growing with the phases"
    echo
    echo "| binary | journal | MB | wall (m:ss) | CPU s | peak RSS MiB | report.html KiB | exit |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|"
    cat "$ROWS"
    echo
    echo "The machine's load before each run (\`uptime\`):"
    echo
    echo '```'
    cat "$LOADS"
    echo '```'
    echo "<!-- report-bench:end -->"
} >"$SECTION"
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
