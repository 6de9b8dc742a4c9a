#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench.sh dos: the DoS scenarios of tests/ops/dos.py and dos_idle.py, NETVM_BENCH_TRIALS times.

Per trial each scenario prints one 'dos-figures: {...}' line; this writes
dos.json (every trial, then median, min and max per figure) and dos.md, and
prints the table. The figures: attack start to mitigation (the chain has
the filter) as the scenario's sender sees it, the manager's own part
(detection to chain change), and legitimate packets lost during the attack,
for the one-source flood and for the spoofed-source SYN flood; then, with
the guest image of scripts/build-guest.sh, the one-source flood with the
filter provisioned into an idle VM (dos.method "idle"): attack start to
mitigation, the filter's provisioning, legitimate packets lost, and the
longest netvmctl answer meanwhile (how long the manager's loop was busy).
Without the image the idle rows say "skipped".

    bench_dos.py OUT_DIR          (NETVM_BUILD, NETVM_BENCH_TRIALS; root, hugepages)
"""

import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402
from bench_trial import env_num  # noqa: E402

TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIGURES = [
    ("src_mitigation_s", "one source: attack start to mitigation (s)"),
    ("src_manager_ms", "one source: detection to chain change, manager (ms)"),
    ("src_legit_lost", "one source: legitimate packets lost"),
    ("syn_mitigation_s", "SYN flood: attack start to mitigation (s)"),
    ("syn_legit_lost", "SYN flood: packets of established connections lost"),
    ("idle_mitigation_s", "idle VM filter: attack start to mitigation (s)"),
    ("idle_manager_ms", "idle VM filter: detection to chain change, manager (ms)"),
    ("idle_provision_ms", "idle VM filter: provisioned into the idle VM (ms)"),
    ("idle_legit_lost", "idle VM filter: legitimate packets lost"),
    ("idle_loop_busy_ms", "idle VM filter: longest netvmctl answer meanwhile (ms)"),
]
SKIPPED = 77


def trial(build, test, log):
    """One run of tests/ops/@test.py: its figures, {} when it skipped (no
    guest image), or None (the log says why)."""
    r = subprocess.run(["/usr/bin/python3", os.path.join(TREE, f"tests/ops/{test}.py"),
                        "--build-dir", build, "--source-dir", TREE],
                       capture_output=True, text=True, timeout=400)
    with open(log, "w") as f:
        f.write(r.stdout + r.stderr)
    if r.returncode == SKIPPED:
        return {}
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("dos-figures: ")]
    if r.returncode != 0 or not lines:
        return None
    return json.loads(lines[-1][len("dos-figures: "):])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench_dos.py OUT_DIR")
    out = sys.argv[1]
    build = os.environ.get("NETVM_BUILD", os.path.join(TREE, "build"))
    trials = env_num("NETVM_BENCH_TRIALS", 3, int, least=1)
    runs = []
    for i in range(trials):
        fig = {}
        for test, tag in (("dos", ""), ("dos_idle", "-idle")):
            log = os.path.join(out, f"trial{i + 1}{tag}.log")
            got = trial(build, test, log)
            if got is None:
                print(f"bench dos: trial {i + 1} of {test} failed: see {log}", file=sys.stderr)
                sys.exit(1)
            fig.update(got)
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
                   "spoofed sources (syn_pps 150); the filter is netvm-firewall as a host "
                   "process; then the one-source flood with src_pps 250 and the filter "
                   "provisioned into an idle VM (tests/ops/dos_idle.py; skipped without the "
                   "guest image)"}
    with open(os.path.join(out, "dos.json"), "w") as f:
        json.dump(doc, f, indent=1)
    rows = ["| figure | median | min | max | trials |", "|---|---|---|---|---|"]
    for key, what in FIGURES:
        s = summary[key]
        rows.append(f"| {what} | " + (" | ".join(f"{s[k]:.3g}" for k in ("median", "min", "max"))
                                     + f" | {s['n']} |" if s else "skipped | - | - | 0 |"))
    table = "\n".join(rows) + "\n"
    with open(os.path.join(out, "dos.md"), "w") as f:
        f.write(f"# DoS response ({trials} trials)\n\n" + table)
    print(table, end="")


if __name__ == "__main__":
    main()
