#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The generator-driven benchmark suites of scripts/bench.sh.

    bench_suites.py SUITE OUTDIR      SUITE in rate, size, chain, latency, cycles, firewall, click

Every trial is netvm-pktgen <-> memif <-> netvm-core <-> NF(s) (see
bench_trial.py). A suite writes into OUTDIR: SUITE.json (machine, settings,
every trial, medians and spreads), SUITE.md (a Markdown table), PNG plots
(with their gnuplot .dat and .gp) and run/ (every process's log).
Settings come from the environment (docs/benchmarks.md):
NETVM_BENCH_TRIALS, NETVM_BENCH_SECONDS, NETVM_BENCH_POINTS,
NETVM_BENCH_SEARCH_STEPS, NETVM_BENCH_LOSS_TOL, NETVM_BENCH_CHAIN_MAX,
NETVM_BUILD, NETVM_BENCH_PKTGEN_CPU, NETVM_BENCH_NF_SLEEP_US.
"""

import json
import os
import re
import statistics
import sys

import bench_machine
import bench_plot
import bench_trial
from bench_trial import env_num  # noqa: F401  (bench_scale, tests/bench)

L3FWD = ("apps/l3fwd/netvm-l3fwd", 1, ["--mode", "lpm", "--routes", "routes"])
RATES_MPPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]
SIZES = [64, 128, 256, 512, 1024, 1280, 1518, 4096, 9000]
LAT_LOADS_MPPS = [0.01, 0.02, 0.05, 0.1, 0.2]
RFC_NOTE = ("RFC 2544-style binary search for the highest rate without loss, with "
            "short trials: not RFC 2544 compliant (which wants 60 s trials, a real "
            "link and several frame sizes)")
CPU_NOTE = ("2-CPU machine: the generator (netvm-pktgen --yield) runs on CPU {pg}, "
            "the NF(s) on CPU 1, netvm-core polls on CPU {core}. Processes that share a "
            "CPU are time-sliced by the kernel, which bounds the rate and adds "
            "milliseconds of latency: these figures measure the machine, not NetVM's "
            "limits (see the peers suite for the path alone).")


def spread(values):
    """{median, min, max, n} of a list of numbers (zeros when empty)."""
    if not values:
        return {"median": 0, "min": 0, "max": 0, "n": 0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def pick(points, n):
    """n points spread evenly over the list, ends included."""
    if n <= 0 or n >= len(points):
        return list(points)
    if n == 1:
        return [points[-1]]
    return [points[round(i * (len(points) - 1) / (n - 1))] for i in range(n)]


class Suite:
    def __init__(self, name, out):
        self.name, self.out = name, out
        self.trials = env_num("NETVM_BENCH_TRIALS", 3, int, least=1)
        self.seconds = env_num("NETVM_BENCH_SECONDS", 2, above=0)
        self.points = env_num("NETVM_BENCH_POINTS", 0, int, least=0)
        build = os.environ.get("NETVM_BUILD", "build")
        pg_cpu = env_num("NETVM_BENCH_PKTGEN_CPU", 1, int, least=0)
        sleep_us = env_num("NETVM_BENCH_NF_SLEEP_US", 0, int, least=0)
        nf_args = ["--sleep-after-us", str(sleep_us)] if sleep_us > 0 else []
        os.makedirs(out, exist_ok=True)
        self.setup = bench_trial.Setup(os.path.abspath(build), out, f"nvs{os.getpid()}-",
                                       pg_cpu=pg_cpu, core_cpu=0, nf_cpu=1, nf_args=nf_args)
        self.doc = {"suite": name, "machine": bench_machine.describe(),
                    "settings": {"trials": self.trials, "seconds": self.seconds,
                                 "pktgen_cpu": pg_cpu, "core_cpu": 0, "nf_cpu": 1,
                                 "nf_sleep_after_us": sleep_us},
                    "note": CPU_NOTE.format(pg=pg_cpu, core=0), "points": [], "plots": []}

    def trial_set(self, label, n=None, runner=bench_trial.run, **kw):
        """Run n trials (default: the configured number) of @runner
        (bench_trial.run or bench_trial.run_pcap); return their results."""
        runs = []
        for _ in range(n or self.trials):
            try:
                runs.append(runner(self.setup, f"{self.name}-{label}", **kw))
            except bench_trial.TrialError as e:
                print(f"bench: {self.name} {label}: {e}", file=sys.stderr)
            finally:
                self.setup.cleanup()
        return runs

    def point(self, x, runs, extra=None):
        """Summarise the trials of one point of the sweep and keep it."""
        pg = [r["pktgen"] for r in runs]
        p = {"x": x, "trials": len(runs),
             "offered_mpps": spread([q["offered_pps"] / 1e6 for q in pg]),
             "tx_mpps": spread([q["tx_pps"] / 1e6 for q in pg]),
             "rx_mpps": spread([q["rx_pps"] / 1e6 for q in pg]),
             "rx_gbps": spread([q["rx_gbps"] for q in pg]),
             "loss_ratio": spread([q["loss_ratio"] for q in pg]),
             "latency_ns": {k: spread([q["latency_ns"][k] for q in pg
                                       if q["latency_ns"]["samples"]])
                            for k in ("p50", "p99", "p999")},
             "cycles_rx": spread([r["core"].get("cycles_rx_x100", 0) / 100 for r in runs]),
             "cycles_tx": spread([r["core"].get("cycles_tx_x100", 0) / 100 for r in runs]),
             "raw": [{"pktgen": r["pktgen"], "core": r["core"], "nfs": r["nfs"],
                      "dir": os.path.relpath(r["dir"], self.out)} for r in runs]}
        if extra:
            p.update(extra)
        self.doc["points"].append(p)
        print(f"  {self.name} {x}: {len(runs)} trial(s), forwarded "
              f"{p['rx_mpps']['median']:.3f} Mpps, loss {p['loss_ratio']['median']:.4f}",
              flush=True)
        return p

    def series(self, key, sub=None, scale=1.0, xs=None):
        pts = []
        for p in self.doc["points"]:
            s = p[key][sub] if sub else p[key]
            if s["n"]:
                pts.append((p["x"] if xs is None else xs(p), s["median"] * scale,
                            s["min"] * scale, s["max"] * scale))
        return pts

    def plot(self, fname, *args, **kw):
        if not bench_plot.available():
            self.doc.setdefault("errors", []).append("gnuplot not installed: no plots")
            return
        try:
            bench_plot.plot(os.path.join(self.out, fname), *args, **kw)
            self.doc["plots"].append(fname)
        except RuntimeError as e:
            self.doc.setdefault("errors", []).append(str(e))

    def finish(self, columns):
        """Write SUITE.json and SUITE.md; columns: [(header, fn(point) -> str)]."""
        with open(os.path.join(self.out, self.name + ".json"), "w") as f:
            json.dump(self.doc, f, indent=1)
        m = self.doc["machine"]
        lines = [f"## {self.name}", "",
                 f"{m['cpu_model']}, {m['cpus']} CPUs at {m['cpu_mhz']} MHz, DPDK {m['dpdk']}; "
                 f"median [min - max] of {self.trials} trial(s) of {self.seconds:g} s.", "",
                 self.doc["note"], ""]
        for key in ("method", "result"):
            if key in self.doc:
                lines += [self.doc[key], ""]
        lines.append("| " + " | ".join(h for h, _ in columns) + " |")
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        for p in self.doc["points"]:
            lines.append("| " + " | ".join(fn(p) for _, fn in columns) + " |")
        lines.append("")
        lines += [f"![{p}]({p})" for p in self.doc["plots"]]
        lines += [f"- error: {e}" for e in self.doc.get("errors", [])]
        with open(os.path.join(self.out, self.name + ".md"), "w") as f:
            f.write("\n".join(lines) + "\n")
        ok = all(p["trials"] for p in self.doc["points"]) and self.doc["points"]
        return 0 if ok else 1


def fmt(s, digits=3):
    if not s["n"]:
        return "-"
    return f"{s['median']:.{digits}f} [{s['min']:.{digits}f} - {s['max']:.{digits}f}]"


def suite_rate(s):
    steps = env_num("NETVM_BENCH_SEARCH_STEPS", 6, int, least=1)
    tol = env_num("NETVM_BENCH_LOSS_TOL", 0.0, least=0, most=1)
    for r in pick(RATES_MPPS, s.points) + ["max"]:
        rate = 0 if r == "max" else r * 1e6
        s.point(r, s.trial_set(f"{r}", nfs=[L3FWD], seconds=s.seconds, rate_pps=rate))
    # Zero-loss rate: bisect between 0 and a bit above the most the path
    # forwarded at any point (no rate above that can be loss-free).
    hi = 1.2e6 * max(p["rx_mpps"]["max"] for p in s.doc["points"]) or 1e6
    lo, best, search = 0.0, 0.0, []
    for _ in range(steps):
        mid = (lo + hi) / 2
        runs = s.trial_set(f"search-{mid:.0f}", n=1, nfs=[L3FWD], seconds=s.seconds,
                           rate_pps=mid)
        loss = runs[0]["pktgen"]["loss_ratio"] if runs else 1.0
        passed = bool(runs) and loss <= tol
        search.append({"rate_pps": mid, "loss_ratio": loss, "pass": passed})
        if passed:
            lo = best = mid
        else:
            hi = mid
    s.doc["zero_loss"] = {"rate_mpps": best / 1e6, "loss_tolerance": tol, "steps": search,
                          "label": RFC_NOTE}
    s.doc["method"] = ("Forwarded rate (frames back at the generator) against the target "
                       "rate through netvm-core and netvm-l3fwd (LPM); 'max' is unpaced. "
                       "'offered' is what the generator achieved (below the target when "
                       "its CPU is taken); loss is offered minus forwarded. "
                       + RFC_NOTE + ".")
    s.doc["result"] = f"Zero-loss rate (loss <= {tol:g}): {best / 1e6:.4f} Mpps."
    pts = [p for p in s.doc["points"] if p["x"] != "max"]
    s.plot("rate.png", "Forwarded vs offered rate, 64 B, core + l3fwd", "target rate (Mpps)",
           "Mpps", [("forwarded", [(p["x"], p["rx_mpps"]["median"], p["rx_mpps"]["min"],
                                   p["rx_mpps"]["max"]) for p in pts]),
                    ("offered (what the generator achieved)",
                     [(p["x"], p["offered_mpps"]["median"], p["offered_mpps"]["min"],
                       p["offered_mpps"]["max"]) for p in pts]),
                    ("target", [(p["x"], p["x"], p["x"], p["x"]) for p in pts])], logx=True)
    return s.finish([("target Mpps", lambda p: str(p["x"])),
                     ("offered Mpps", lambda p: fmt(p["offered_mpps"])),
                     ("forwarded Mpps", lambda p: fmt(p["rx_mpps"])),
                     ("loss ratio", lambda p: fmt(p["loss_ratio"], 4))])


def suite_size(s):
    for size in pick(SIZES, s.points):
        s.point(size, s.trial_set(f"{size}", nfs=[L3FWD], seconds=s.seconds, size=size,
                                  **bench_trial.JUMBO))
    s.doc["method"] = ("Unpaced forwarding rate through netvm-core and netvm-l3fwd by frame size, "
                       "every size with the jumbo pool (" + bench_trial.JUMBO["core_opts"] + ").")
    s.plot("size_mpps.png", "Forwarding rate by frame size", "frame size (B)", "Mpps",
           [("forwarded", s.series("rx_mpps"))])
    s.plot("size_gbps.png", "Forwarded throughput by frame size", "frame size (B)", "Gbit/s",
           [("forwarded", s.series("rx_gbps"))])
    return s.finish([("size B", lambda p: str(p["x"])),
                     ("forwarded Mpps", lambda p: fmt(p["rx_mpps"])),
                     ("Gbit/s", lambda p: fmt(p["rx_gbps"]))])


def bridge_chain(n):
    """(configuration, NFs) of a chain of n bridges on roles 1..n, the
    default for every packet; all bridges but the last return NEXT."""
    roles = ", ".join(str(i) for i in range(1, n + 1))
    config = (f'chains = ( {{ name = "c{n}"; roles = [{roles}]; }} );\n'
              f'default = {{ chain = "c{n}"; }};')
    nfs = [("apps/bridge/netvm-bridge", i, ["--next"] if i < n else [])
           for i in range(1, n + 1)]
    return config, nfs


def suite_chain(s):
    nmax = env_num("NETVM_BENCH_CHAIN_MAX", 3, int, least=1)
    for n in pick(list(range(1, nmax + 1)), s.points):
        config, nfs = bridge_chain(n)
        s.point(n, s.trial_set(f"{n}", nfs=nfs, config=config, seconds=s.seconds))
    s.doc["method"] = ("Unpaced 64 B rate through chains of 1..N bridge NFs (all NFs but the "
                       "last return NEXT). All NFs share CPU 1 with the generator: on 2 CPUs a "
                       "longer chain splits one CPU more ways, which is not what the paper's "
                       "chains on separate cores measure.")
    s.plot("chain.png", "64 B rate by chain length (bridge NFs)", "NFs in the chain", "Mpps",
           [("forwarded", s.series("rx_mpps"))])
    return s.finish([("NFs", lambda p: str(p["x"])),
                     ("forwarded Mpps", lambda p: fmt(p["rx_mpps"])),
                     ("loss ratio", lambda p: fmt(p["loss_ratio"], 4))])


def suite_latency(s):
    for load in pick(LAT_LOADS_MPPS, s.points):
        s.point(load, s.trial_set(f"{load}", nfs=[L3FWD], seconds=s.seconds,
                                  rate_pps=load * 1e6))
    s.doc["method"] = ("Generator-to-generator latency (TSC stamp in each frame, histogram of "
                       "16 ns bins up to 65 us, 4 us above) by offered load, 64 B, core + l3fwd.")
    s.plot("latency.png", "Latency by offered load, 64 B", "offered (Mpps)", "latency (us)",
           [(k, s.series("latency_ns", k, 1e-3)) for k in ("p50", "p99", "p999")],
           logx=True, logy=True)
    return s.finish([("target Mpps", lambda p: str(p["x"])),
                     ("offered Mpps", lambda p: fmt(p["offered_mpps"])),
                     ("p50 us", lambda p: fmt(_us(p["latency_ns"]["p50"]), 1)),
                     ("p99 us", lambda p: fmt(_us(p["latency_ns"]["p99"]), 1)),
                     ("p99.9 us", lambda p: fmt(_us(p["latency_ns"]["p999"]), 1)),
                     ("loss ratio", lambda p: fmt(p["loss_ratio"], 4))])


FIREWALL = "apps/firewall/netvm-firewall"
FW_RULES = [10, 1000, 10000]
FW_FLOWS = [1, 65536]
FW_CONNS = 131072  # twice the most flows: no eviction in the 64K case


def fw_rules_file(path, n, stateless):
    """@n rules: n - 1 deny rules no generated packet matches, then "allow udp"."""
    pre = "stateless " if stateless else ""
    with open(path, "w") as f:
        f.write(f"# {n} rules; netvm-pktgen's UDP packets match only the last\n")
        for i in range(n - 1):
            f.write(f"{pre}deny udp and src host 172.16.{i // 250}.{i % 250 + 1} "
                    f"and dst port 5001\n")
        f.write(f"{pre}allow udp\n")


def suite_firewall(s):
    base = s.point("bridge", s.trial_set("bridge", nfs=[("apps/bridge/netvm-bridge", 1, [])],
                                         seconds=s.seconds),
                   {"rules": 0, "flows": 1, "stateless": False})
    cases = [(n, f, False) for n in FW_RULES for f in FW_FLOWS] + [(n, 1, True) for n in FW_RULES]
    for n, flows, stateless in pick(cases, s.points):
        label = f"fw-{n}r-{'64K' if flows > 1 else '1'}f" + ("-sl" if stateless else "")
        rules = os.path.join(s.out, label + ".rules")
        fw_rules_file(rules, n, stateless)
        opts = ["--rules", rules, "--conns", str(FW_CONNS)]
        s.point(label, s.trial_set(label, nfs=[(FIREWALL, 1, opts)], seconds=s.seconds,
                                   flows=flows),
                {"rules": n, "flows": flows, "stateless": stateless})
    bridge = base["rx_mpps"]["median"] if base["rx_mpps"]["n"] else 0
    for p in s.doc["points"]:
        m = p["rx_mpps"]["median"] if p["rx_mpps"]["n"] else 0
        p["vs_bridge"] = m / bridge if bridge else None
    s.doc["method"] = ("Unpaced 64 B UDP rate through netvm-core and one NF: netvm-bridge (the "
                       "baseline, same run) or netvm-firewall with N rules, of which only the "
                       "last matches the generated packets, and 1 or 65536 flows (netvm-pktgen "
                       "--flows: source address and port vary), each a connection in a table of "
                       f"{FW_CONNS} entries. Stateful: the first packet of a flow goes through "
                       "the rules and opens a connection, the others are found in the table. "
                       "'-sl': every rule 'stateless', so every packet goes through the rules "
                       "(after a table lookup that finds nothing).")
    s.plot("firewall.png", "64 B rate: core + firewall vs core + bridge", "case", "Mpps",
           [("forwarded", [(p["x"], p["rx_mpps"]["median"], p["rx_mpps"]["min"],
                            p["rx_mpps"]["max"]) for p in s.doc["points"] if p["rx_mpps"]["n"]])],
           bars=True)
    return s.finish([("case", lambda p: str(p["x"])),
                     ("rules", lambda p: str(p["rules"])),
                     ("flows", lambda p: str(p["flows"])),
                     ("forwarded Mpps", lambda p: fmt(p["rx_mpps"])),
                     ("/ bridge", lambda p: "-" if p.get("vs_bridge") is None
                      else f"{p['vs_bridge']:.2f}"),
                     ("loss ratio", lambda p: fmt(p["loss_ratio"], 4))])


CLICK = "apps/click/netvm-click"
TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLICK_CONF = os.path.join(TREE, "configs", "click-router.click")
CLICK_ROUTES = os.path.join(TREE, "configs", "click-router.routes")
CLICK_TARGET = 0.5  # the Click router's rate / l3fwd's that the suite aims at


def click_element_cycles(log):
    """{element: cycles per packet} from netvm-click's `-h '*.cycles'` lines
    ("NAME.cycles:" then the value x100) in an NF log; the first queue's."""
    out = {}
    with open(log) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines[:-1]):
        m = re.fullmatch(r"(\S+)\.cycles:", line)
        if m and m.group(1) not in out and lines[i + 1].strip().isdigit():
            out[m.group(1)] = int(lines[i + 1]) / 100
    return out


def suite_click(s):
    l3fwd = ("apps/l3fwd/netvm-l3fwd", 1, ["--mode", "lpm", "--routes", CLICK_ROUTES])
    click = (CLICK, 1, ["-f", CLICK_CONF, "--port", "eth0=0", "--port", "eth1=1",
                        "-h", "*.cycles"])
    for label, nf in (("l3fwd", l3fwd), ("click", click)):
        p = s.point(label, s.trial_set(label, nfs=[nf], seconds=s.seconds))
        p["cycles_nf_app"] = spread([nf.get("cycles_app_x100", 0) / 100 for r in p["raw"]
                                     for nf in r["nfs"].values()])
    base, ck = s.doc["points"]
    ratio = (ck["rx_mpps"]["median"] / base["rx_mpps"]["median"]
             if base["rx_mpps"]["n"] and ck["rx_mpps"]["n"] and base["rx_mpps"]["median"]
             else None)
    for p in s.doc["points"]:
        p["vs_l3fwd"] = None
    if ratio is not None:
        ck["vs_l3fwd"], base["vs_l3fwd"] = ratio, 1.0
    # Per-element cycles: each trial's NF log, median over the trials.
    per = {}
    order = []
    for r in ck["raw"]:
        log = os.path.join(s.out, r["dir"], "nf0.log")
        if not os.path.exists(log):
            continue
        for name, c in click_element_cycles(log).items():
            if name not in per:
                order.append(name)
            per.setdefault(name, []).append(c)
    s.doc["click_elements"] = {n: spread(per[n]) for n in order}
    rows = ["| element | cycles/pkt |", "|---|---|"]
    rows += [f"| {n} | {fmt(s.doc['click_elements'][n], 1)} |" for n in order]
    total = sum(s.doc["click_elements"][n]["median"] for n in order)
    rows.append(f"| sum of the medians | {total:.1f} |")
    verdict = "-" if ratio is None else (f"{ratio:.2f}x l3fwd: target {CLICK_TARGET}x "
                                         + ("met" if ratio >= CLICK_TARGET else "NOT met"))
    s.doc["result"] = ("Click router / l3fwd: " + verdict + ".\n\n"
                       "Cycles per packet of each element's own push/action work "
                       "(handler `cycles`, meson option stage_cycles; elements the batch "
                       "passes without a call, such as FromDevice, read 0):\n\n"
                       + "\n".join(rows))
    s.doc["method"] = ("Unpaced 64 B UDP rate through netvm-core and one NF, in the same run: "
                       "netvm-l3fwd --mode lpm with configs/click-router.routes (the baseline), "
                       "then netvm-click running configs/click-router.click (Strip, "
                       "CheckIPHeader, GetIPAddress, StaticIPLookup, DecIPTTL, EtherEncap, "
                       "Queue, ToDevice: the same routes and next hops, no ARP). 'NF app' is "
                       "netlib's count of cycles per packet in the NF's callback, the "
                       "NFs' CPU cost with the generator's time slices left out. The "
                       "element counters are on (stage_cycles) and cost each timed call "
                       "two TSC reads, which the element figures include.")
    s.plot("click.png", "64 B rate: core + Click IP router vs core + l3fwd", "NF", "Mpps",
           [("forwarded", [(p["x"], p["rx_mpps"]["median"], p["rx_mpps"]["min"],
                            p["rx_mpps"]["max"]) for p in s.doc["points"] if p["rx_mpps"]["n"]])],
           bars=True)
    return s.finish([("NF", lambda p: str(p["x"])),
                     ("forwarded Mpps", lambda p: fmt(p["rx_mpps"])),
                     ("/ l3fwd", lambda p: "-" if p.get("vs_l3fwd") is None
                      else f"{p['vs_l3fwd']:.2f}"),
                     ("NF app cycles/pkt", lambda p: fmt(p["cycles_nf_app"], 1)),
                     ("loss ratio", lambda p: fmt(p["loss_ratio"], 4))])


def _us(s):
    return {k: (v / 1e3 if k != "n" else v) for k, v in s.items()}


def stage_cycles(p):
    """Add the stages' cycles per packet (cycles_nic_core, cycles_core_nf,
    cycles_nf_app, cycles_nf_io, cycles_nf_core, cycles_core_nic: spreads
    over the trials, NF figures over every NF of every trial) to point p."""
    for key, src in (("nic_core", "core"), ("core_nf", "core"), ("nf_app", "nf"),
                     ("nf_io", "nf"), ("nf_core", "core"), ("core_nic", "core")):
        if src == "core":
            vals = [r["core"].get(f"cycles_{key}_x100", 0) / 100 for r in p["raw"]]
        else:
            name = "cycles_app_x100" if key == "nf_app" else "cycles_io_x100"
            vals = [nf.get(name, 0) / 100 for r in p["raw"] for nf in r["nfs"].values()]
        p["cycles_" + key] = spread(vals)
    return p


def suite_cycles(s):
    p = s.point("l3fwd", s.trial_set("l3fwd", nfs=[L3FWD], seconds=s.seconds))
    hz = [r["pktgen"]["tsc_hz"] for r in p["raw"]]
    # Both CPUs' cycles over the packets forwarded: everything the path cost.
    p["cycles_total"] = spread([2 * r["pktgen"]["tsc_hz"] / r["pktgen"]["rx_pps"]
                                for r in p["raw"] if r["pktgen"]["rx_pps"]])
    p["tsc_hz"] = hz[0] if hz else 0
    # The paper's Table I stages: the core's TSC counters and netlib's (both
    # compiled out with meson -Dstage_cycles=false, when they read 0).
    stage_cycles(p)
    s.doc["method"] = ("Per-packet cost of each stage from TSC counters (meson option "
                       "stage_cycles): NIC->core (port RX burst and classification), "
                       "core->NF (rx ring enqueue), NF app (l3fwd's callback), NF I/O "
                       "(netlib's ring work, including waits for room), NF->core (tx ring "
                       "copy-out and validation), core->NIC (port TX burst); 'all' is both "
                       "CPUs' cycles over the packets forwarded. On 2 CPUs the generator "
                       "shares the NF's CPU, which inflates the NF figures.")
    stages = [("cycles_nic_core", "NIC->core"), ("cycles_core_nf", "core->NF"),
              ("cycles_nf_app", "NF app"), ("cycles_nf_io", "NF I/O"),
              ("cycles_nf_core", "NF->core"), ("cycles_core_nic", "core->NIC"),
              ("cycles_total", "all, 2 CPUs")]
    s.plot("cycles.png", "Cycles per packet by stage, 64 B, core + l3fwd", "stage", "cycles",
           [("cycles", [(label, p[k]["median"], p[k]["min"], p[k]["max"])
                        for k, label in stages])], bars=True, logy=True)
    return s.finish([("stage", lambda q: "core + l3fwd")] +
                    [(label + " cycles/pkt", lambda q, k=k: fmt(q[k], 1))
                     for k, label in stages])


SUITES = {"rate": suite_rate, "size": suite_size, "chain": suite_chain,
          "latency": suite_latency, "cycles": suite_cycles, "firewall": suite_firewall,
          "click": suite_click}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SUITES:
        sys.exit(f"usage: bench_suites.py {{{'|'.join(SUITES)}}} OUTDIR")
    name, out = sys.argv[1], sys.argv[2]
    s = Suite(name, out)
    print(f"bench: suite {name}: {s.trials} trial(s) x {s.seconds:g} s; results in {out}",
          flush=True)
    try:
        return SUITES[name](s)
    finally:
        s.setup.cleanup()


if __name__ == "__main__":
    sys.exit(main())
