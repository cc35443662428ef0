"""Makes the long journals bench/report.sh times `scaletrace report` on.

    make_journal.py BASE_RUN_DIR OUT_RUN_DIR HOURS [PHASES]

BASE_RUN_DIR is a finished simulated run (profiles/demo.toml: 40 simulated
minutes with every kind of record). Its one-second `interval` lines and its
`metric` datapoints are repeated, shifted by the run's length each time,
until HOURS are covered; the phases, alarms, activities and endpoint lines
stay those of the first copy, and `end` moves to the last second. What
`report` then reads is a journal of the size a real run of HOURS writes
(~48 MB for 24 hours).

With PHASES (e.g. 100000), the phases are replaced by that many ramp
phases of equal length over the whole span, their rates a sine between 2
and 110 requests/s (each phase ramping from one value to the next), in the
journal and in run.json's resolved profile alike: the case issue #13 item 9
reported (100,000 phases: 44 s, 467 MB, a 34 MB report.html).
"""
import json
import math
import os
import sys

base, out_dir, hours = sys.argv[1], sys.argv[2], float(sys.argv[3])
phases = int(sys.argv[4]) if len(sys.argv) > 4 else 0
os.makedirs(out_dir)
info = json.load(open(os.path.join(base, "run.json")))
lines = [json.loads(l) for l in open(os.path.join(base, "journal.jsonl"))]
span = max(r["t"] for r in lines if r["type"] == "interval")
total = hours * 3600


def rate(i):
    return round(56.0 + 54.0 * math.sin(i * 2 * math.pi / 600), 3)


if phases:
    length = total / phases
    info["profile"]["load"]["phases"] = [
        {"name": f"p{i}", "duration": length, "from_rate": rate(i), "to_rate": rate(i + 1)}
        for i in range(phases)
    ]
with open(os.path.join(out_dir, "run.json"), "w") as f:
    json.dump(info, f, indent=2)


def phase_lines(upto):
    """The phase lines with t < upto, not yet written (a generator state)."""
    while phase_lines.next < 2 * phases:
        k = phase_lines.next
        i, end = divmod(k, 2)
        t = (i + end) * length
        if t >= upto:
            return
        phase_lines.next += 1
        yield {
            "type": "phase", "t": round(t, 6), "index": i, "name": f"p{i}",
            "event": "end" if end else "start",
            "from_rate": rate(i), "to_rate": rate(i + 1),
        }


phase_lines.next = 0

with open(os.path.join(out_dir, "journal.jsonl"), "w") as out:
    def emit(r):
        out.write(json.dumps(r, separators=(",", ":")) + "\n")

    k = 0
    while k * span < total:
        shift = k * span
        for r in lines:
            kind = r["type"]
            if kind == "end":
                continue
            if kind == "phase" and phases:
                continue
            if k > 0 and kind not in ("interval", "metric"):
                continue
            r = dict(r)
            if kind == "interval":
                if r["t"] + shift > total:
                    continue
                r["start"] += shift
                r["t"] += shift
                if phases:
                    for p in phase_lines(r["t"]):
                        emit(p)
            elif kind == "metric" and k > 0:
                r["t"] += shift
                r["period_start"] += shift
            emit(r)
        k += 1
    for p in phase_lines(float("inf")):
        emit(p)
    emit({"type": "end", "t": total, "reason": "completed"})
