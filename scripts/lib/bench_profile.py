#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/bench.sh profile: where netvm-core spends its CPU, by stage.

    bench_profile.py OUTDIR

The peers suite's netvm setup (netvm-core --single-lcore on CPU 0 with two
net_null ports, netvm-bridge on role 1 on CPU 1), sampled with `perf record
-e cpu-clock` (software sampling: these machines have no hardware PMU) for
NETVM_BENCH_SECONDS (default 5) after a one-second warm-up. Writes
profile.md (the top functions, each with the stage it belongs to, and the
share of each stage), profile.json, perf.txt (perf report) and the logs.
"""

import json
import os
import re
import subprocess
import sys
import time

import bench_machine
import telemetry
from bench_trial import tool_suite_args, remove_dpdk_files, stop

# Which stage of the path (docs/benchmarks.md, suite cycles) a function
# belongs to; static helpers the compiler inlined show as their caller.
# net_null's library has no symbols perf can read: its RX and TX samples
# cannot be told apart, and count as "ports". The core's only copies of
# a variable length through libc are the descriptors to and from the NF
# rings (nvm_ring.h), both ways: "ring copies".
STAGES = [
    ("ports", r"librte_net_null"),
    ("ring copies", r"^__mem(move|cpy)"),
    ("NIC->core", r"rx_port|rx_default|rx_unread|cls_|rte_acl|acl_|eth_null_rx|null_rx|"
                  r"rte_eth_rx"),
    ("core->NF", r"deliver|stages_flush|choose|core_flows_place|flows_|doorbell|"
                 r"nvm_ring_enqueue|budget_left|rte_hash|librte_hash"),
    ("NF->core", r"tx_nf|core_validate|nvm_ring_dequeue|forward"),
    ("core->NIC", r"port_tx|tx_flush|tx_stage|eth_null_tx|null_tx|rte_eth_tx"),
    ("buffers", r"mempool|mbuf|alloc_refill|free"),
    ("loop", r"core_dp_loop|rcu|rte_rdtsc"),
]
TOP = 20


def stage_of(symbol, dso=""):
    """The stage of a function, by its name or (unresolved) its object's."""
    for name, pat in STAGES:
        if re.search(pat, symbol) or re.search(pat, dso):
            return name
    return "other"


def parse_report(text):
    """[(percent, dso, symbol)] from `perf report --stdio --sort dso,symbol`."""
    out = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.+?)\s*$", line)
        if m:
            sym = re.sub(r"(\s+-)+$", "", m.group(3))  # perf's empty columns
            out.append((float(m.group(1)), m.group(2), sym))
    return out


def main():
    out, build, seconds = tool_suite_args("bench_profile.py", "perf", "linux-perf", "5")
    prefix = f"nvprof{os.getpid()}"
    sock, conf = os.path.join(out, "core.sock"), os.path.join(out, "core.conf")
    with open(conf, "w") as f:
        f.write(f'core = {{ socket = "{sock}"; pool_buffers = 8192; }};\n'
                'default = { role = 1; };\n')
    procs = []

    def start(cmd, log):
        with open(os.path.join(out, log), "w") as f:
            procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f,
                                          stderr=subprocess.STDOUT))
        return procs[-1]

    rtt = bench_machine.cacheline_rtt(out)
    try:
        core = start([os.path.join(build, "core/netvm-core"), "-l", "0", "--file-prefix", prefix,
                      "--no-pci", "--vdev", "net_null0,size=64", "--vdev", "net_null1,size=64",
                      "--", "-c", conf, "-s", sock, "--single-lcore", "--wait-nfs", "1"],
                     "core.log")
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            if core.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"bench: netvm-core did not open {sock} (see {out}/core.log)")
            time.sleep(0.05)
        start(["taskset", "-c", "1", os.path.join(build, "apps/bridge/netvm-bridge"),
               "-s", sock, "-r", "1"], "nf.log")
        tel = telemetry.socket_path(prefix)
        if telemetry.wait_until(tel, "/netvm/stats", "nfs_attached", 1, 30) is None:
            sys.exit(f"bench: the bridge did not attach (see {out}/nf.log)")
        time.sleep(1)  # warm-up
        data = os.path.join(out, "perf.data")
        rec = subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "4999", "-o", data,
                              "-p", str(core.pid), "--", "sleep", f"{seconds:g}"],
                             capture_output=True, text=True)
        if rec.returncode != 0:
            sys.exit(f"bench: perf record failed: {rec.stderr.strip()[-500:]}")
    finally:
        for p in procs:
            stop(p)
        remove_dpdk_files(prefix)
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "dso,symbol",
                          "--percent-limit", "0.2"], capture_output=True, text=True)
    with open(os.path.join(out, "perf.txt"), "w") as f:
        f.write(rep.stdout)
    rows = parse_report(rep.stdout)
    if not rows:
        sys.exit(f"bench: perf report gave no samples ({rep.stderr.strip()[-300:]})")
    share = {}
    for pct, dso, sym in rows:
        share[stage_of(sym, dso)] = share.get(stage_of(sym, dso), 0) + pct
    doc = {"suite": "profile", "machine": bench_machine.describe(), "seconds": seconds,
           "cacheline_rtt_ns": rtt, "stage_share_pct": share,
           "top": [{"pct": p, "dso": d, "symbol": s, "stage": stage_of(s, d)}
                   for p, d, s in rows[:TOP]]}
    with open(os.path.join(out, "profile.json"), "w") as f:
        json.dump(doc, f, indent=1)
    lines = ["## profile", "",
             f"netvm-core + netvm-bridge (peers 'netvm' setup), perf record -e cpu-clock "
             f"of netvm-core for {seconds:g} s; cache-line round trip "
             f"{'not measured' if rtt is None else '%.0f ns' % rtt['median']}.", "",
             "| stage | share of the core's samples % |", "|---|---|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in sorted(share.items(), key=lambda kv: -kv[1])]
    lines += ["", "| % | stage | function | object |", "|---|---|---|---|"]
    lines += [f"| {t['pct']:.2f} | {t['stage']} | `{t['symbol']}` | {t['dso']} |"
              for t in doc["top"]]
    with open(os.path.join(out, "profile.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
