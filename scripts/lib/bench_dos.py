#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench.sh dos: the DoS scenario of tests/ops/dos.py, NETVM_BENCH_TRIALS times.

Per trial the scenario prints one 'dos-figures: {...}' line; this writes
dos.json (every trial, then median, min and max per figure) and dos.md, and
prints the table. The figures: attack start to mitigation (the chain has
the filter) as the scenario's sender sees it, the manager's own part
(detection to chain change), and legitimate packets lost during the attack,
for the one-source flood and for the spoofed-source SYN flood.

    bench_dos.py OUT_DIR          (NETVM_BUILD, NETVM_BENCH_TRIALS; root, hugepages)
"""

import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402

TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIGURES = [
    ("src_mitigation_s", "one source: attack start to mitigation (s)"),
    ("src_manager_ms", "one source: detection to chain change, manager (ms)"),
    ("src_legit_lost", "one source: legitimate packets lost"),
    ("syn_mitigation_s", "SYN flood: attack start to mitigation (s)"),
    ("syn_legit_lost", "SYN flood: packets of established connections lost"),
]


def trial(build, log):
    """One run of the scenario: its figures, or None (the log says why)."""
    r = subprocess.run(["/usr/bin/python3", os.path.join(TREE, "tests/ops/dos.py"),
                        "--build-dir", build, "--source-dir", TREE],
                       capture_output=True, text=True, timeout=400)
    with open(log, "w") as f:
        f.write(r.stdout + r.stderr)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("dos-figures: ")]
    if r.returncode != 0 or not lines:
        return None
    return json.loads(lines[-1][len("dos-figures: "):])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench_dos.py OUT_DIR")
    out = sys.argv[1]
    build = os.environ.get("NETVM_BUILD", os.path.join(TREE, "build"))
    trials = int(os.environ.get("NETVM_BENCH_TRIALS", "3"))
    runs = []
    for i in range(trials):
        fig = trial(build, os.path.join(out, f"trial{i + 1}.log"))
        if fig is None:
            print(f"bench dos: trial {i + 1} failed: see {out}/trial{i + 1}.log", file=sys.stderr)
            sys.exit(1)
        runs.append(fig)
    summary = {}
    for key, _ in FIGURES:
        vals = [r[key] for r in runs if r.get(key) is not None]
        summary[key] = ({"median": statistics.median(vals), "min": min(vals), "max": max(vals),
                         "n": len(vals)} if vals else None)
    doc = {"suite": "dos", "machine": bench_machine.describe(), "settings": {"trials": trials},
           "trials": runs, "summary": summary,
           "note": "tests/ops/dos.py: 16 legitimate sources at ~12 packets/s, one source at "
                   "~2000 packets/s (src_pps 500), then a SYN flood of ~500 SYNs/s from "
                   "spoofed sources (syn_pps 300); the filter is netvm-firewall as a host "
                   "process"}
    with open(os.path.join(out, "dos.json"), "w") as f:
        json.dump(doc, f, indent=1)
    rows = ["| figure | median | min | max | trials |", "|---|---|---|---|---|"]
    for key, what in FIGURES:
        s = summary[key]
        rows.append(f"| {what} | " + (" | ".join(f"{s[k]:.3g}" for k in ("median", "min", "max"))
                                     + f" | {s['n']} |" if s else "- | - | - | 0 |"))
    table = "\n".join(rows) + "\n"
    with open(os.path.join(out, "dos.md"), "w") as f:
        f.write(f"# DoS response ({trials} trials)\n\n" + table)
    print(table, end="")


if __name__ == "__main__":
    main()
