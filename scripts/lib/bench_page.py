#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Markdown pages of scripts/bench.sh.

    bench_page.py peers DIR   peers.md and peers.png from DIR/summary.json
    bench_page.py all DIR     DIR/report.md: every suite's table from
                              DIR/<suite>/<suite>.md, next to the NetVM
                              paper's figures and the physical limits
"""

import json
import os
import sys

import bench_machine
import bench_plot
from bench_report import fmt_cycles, fmt_spread

SUITES = ["peers", "rate", "size", "chain", "latency", "cycles"]
PAPER = [
    ("64 B forwarding rate, one NF, 10 GbE", "14.88 Mpps (line rate)"),
    ("per-packet processing cost", "88.3 ns/packet"),
    ("chains of 3 NFs", "line rate (10 GbE)"),
]
WIRE_EXTRA = 20  # preamble 8 + inter-frame gap 12 bytes


def line_rate_mpps(gbps, size):
    """Frames per second a link carries at this frame size (FCS included), in Mpps."""
    return gbps * 1e9 / ((size + WIRE_EXTRA) * 8) / 1e6


def peers(d):
    with open(os.path.join(d, "summary.json")) as f:
        s = json.load(f)
    rows = [(k, v) for k, v in s["results"].items()]
    m = s["machine"]
    lines = ["## peers", "",
             f"{m['cpu_model']}, {m['cpus']} CPUs, DPDK {m['dpdk']}; 64 B round trip, "
             f"{s['trials']} interleaved round(s), each one trial per setup of "
             f"{s.get('warmup_seconds')} s warm-up + {s['trial_seconds']} s measured; "
             "median [min - max], spread = (max - min) / median.", "",
             f"**{s['host']['text']}**", "",
             "| witness | cache-line round trip, ns | load average | disturbed |",
             "|---|---|---|---|"]
    for w in s["witness"]:
        r = w["cacheline_rtt_ns"]
        rtt = "-" if r is None else f"{r['median']:.0f} [{r['min']:.0f} - {r['max']:.0f}]"
        lines.append(f"| {w['label']} | {rtt} | {w['loadavg']:.2f} | "
                     f"{'; '.join(w['why']) if w['disturbed'] else 'no'} |")
    lines += ["", "| round | order |", "|---|---|"]
    lines += [f"| {r['round']} | {' '.join(r['order'])} |" for r in s["rounds"]]
    lines += ["", "| setup | status | Mpps | pinned | disturbed trials | cycles/packet (spread) |",
              "|---|---|---|---|---|---|"]
    points = []
    for key, v in rows:
        r = v.get("rate_mpps") or {}
        if r.get("median") is not None:
            pinned = {True: "yes", False: "no", None: "-"}[v.get("pinned")]
            dist = ", ".join(f"#{t}" for t in v.get("disturbed_trials", [])) or "none"
            lines.append(f"| {v['name']} | {v['status']} | {fmt_spread(r, 3)} | {pinned} | {dist} | "
                         f"{fmt_cycles(v)} |")
            points.append((v["name"].replace(" ", "_"), r["median"], r["min"], r["max"]))
        else:
            lines.append(f"| {v['name']} | {v['status']} | - | - | - | - |")
    lines += ["", "| ratio | of the medians | per round: median [min - max], spread | "
              "median of undisturbed rounds |", "|---|---|---|---|"]
    for k, v in s["ratios"].items():
        pr = s["ratios_per_round"].get(k)
        calm = (pr or {}).get("median_undisturbed")
        lines.append(f"| {k} | {'-' if v is None else f'{v:.3f}'} | {fmt_spread(pr, 3)} | "
                     f"{'-' if calm is None else f'{calm:.3f}'} |")
    lines.append("")
    if points and bench_plot.available():
        try:
            bench_plot.plot(os.path.join(d, "peers.png"), "64 B round-trip rate by setup",
                            "setup", "Mpps", [("rate", points)], bars=True)
            lines.append("![peers.png](peers.png)")
        except RuntimeError as e:
            lines.append(f"- error: {e}")
    with open(os.path.join(d, "peers.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


def report(d):
    m = bench_machine.describe()
    lines = ["# NetVM benchmark report", "",
             f"Machine: {m['cpu_model']}, {m['cpus']} CPUs at {m['cpu_mhz']} MHz, "
             f"kernel {m['kernel']}, DPDK {m['dpdk']}. No NIC: every port is a DPDK virtual "
             "device (net_null, net_ring, net_memif, net_vhost, virtio_user), so the figures "
             "below measure the "
             "software path only, on 2 CPUs shared by every process of a setup.", "",
             "## Reference points", "",
             "| NetVM paper (Hwang et al., NSDI 2014; Xeon, 10 GbE NICs) | figure |",
             "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in PAPER]
    lines += ["", "| link | 64 B Mpps | 1518 B Mpps | 9000 B Mpps |", "|---|---|---|---|"]
    for g in (10, 25, 40, 100):
        lines.append(f"| {g} GbE | {line_rate_mpps(g, 64):.2f} | {line_rate_mpps(g, 1518):.3f} | "
                     f"{line_rate_mpps(g, 9000):.3f} |")
    lines += ["", "(Line rate: frame + 20 bytes of preamble and inter-frame gap per frame.)", ""]
    for name in SUITES:
        md = os.path.join(d, name, name + ".md")
        if not os.path.exists(md):
            lines += [f"## {name}", "", "not run or failed: see the run's output.", ""]
            continue
        with open(md) as f:
            text = f.read()
        # Images are relative to the suite's folder.
        text = text.replace("](", f"]({name}/").replace(f"]({name}/http", "](http")
        lines += [text.rstrip(), ""]
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("peers", "all"):
        sys.exit("usage: bench_page.py {peers|all} DIR")
    return (peers if sys.argv[1] == "peers" else report)(sys.argv[2])


if __name__ == "__main__":
    sys.exit(main())
