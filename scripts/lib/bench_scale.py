#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/bench.sh scale: how the cost grows with the work.

    bench_scale.py OUTDIR

Six sweeps, each against its own first point in the same run (the trials
of bench_trial.py: a replayed pcap -> netvm-core <-> NF(s) by default, see
below):

    rules      classifier rules 1 .. 100 000 (random 5-tuple prefixes; the
               traffic matches only the last rule)          cost: NIC->core
    flows      concurrent flows 1 .. 1 000 000 (netvm-pktgen -f, the core's
               flow table sized for them)                  cost: core, all stages
    instances  bridges on role 1: 1 .. 16 (flows spread by the flow table)
                                                           cost: core, all stages
    chain      chains of 1 .. 8 bridges                    cost: core per hop
    routes     netvm-l3fwd LPM routes 10 .. 1 000 000 (the prefix-length mix
               of a public BGP table)                      cost: the NF's callback
    size       frame size 64 .. 9000 B (every point with the jumbo pool,
               bench_trial.JUMBO)                          Mpps and Gbit/s

The traffic of every sweep comes by default from a pcap the core's port 0
replays endlessly (bench_trial.run_pcap: no generator on the NFs' CPU, the
core saturated, its stage counters per-packet costs; routes: up to 4096
flows, each to an address of a different route);
NETVM_BENCH_SCALE_SOURCE=pktgen gives them netvm-pktgen's traffic. With the
pcap, every flow's frame holds a buffer of the core's pool for the whole
run, so the flows sweep stops at PCAP_MAX_FLOWS.

Trials are interleaved: round t runs trial t of every point of a sweep, so a
change of the host's load during the run touches every point alike. The
cache-line round trip (pingpong.c) before and after the run is the witness
of that load. Settings (docs/benchmarks.md): NETVM_BENCH_TRIALS,
NETVM_BENCH_SECONDS, NETVM_BENCH_POINTS, NETVM_BENCH_SCALE (the sweeps),
NETVM_BENCH_SCALE_MAX (the largest table or flow count),
NETVM_BENCH_SCALE_SOURCE (pcap or pktgen), NETVM_BUILD.
"""

import os
import random
import sys

import bench_machine
import bench_trial
from bench_suites import Suite, bridge_chain, env_num, fmt, pick, spread, stage_cycles

BRIDGE = ("apps/bridge/netvm-bridge", 1, [])
ROUTE = "10.0.2.0/24 1 02:00:00:00:02:02"  # where netvm-pktgen's traffic goes
SWEEPS = {
    "rules": [1, 10, 100, 1000, 10000, 100000],
    "flows": [1, 100, 10000, 100000, 1000000],
    "instances": [1, 2, 4, 8, 16],
    "chain": [1, 2, 4, 8],
    "routes": [10, 1000, 100000, 500000, 1000000],
    "size": [64, 128, 256, 512, 1024, 1518, 4096, 9000],
}
SIZED = ("rules", "flows", "routes")  # sweeps NETVM_BENCH_SCALE_MAX caps
# sweeps whose traffic may come from a replayed pcap (NETVM_BENCH_SCALE_SOURCE)
PCAP_SWEEPS = ("rules", "flows", "instances", "chain", "routes", "size")
SOURCES = ("pcap", "pktgen")
# 2 MiB hugepages as scripts/setup.sh reserves them (2 GiB) hold a pool of
# 131 071 buffers of 2 KiB beside the rest, so the replayed frames (one
# buffer each) stop at 100 000 flows
PCAP_MAX_FLOWS = 100000
LINKS_GBPS = (10, 25, 40, 100)
# Per 100 000 prefixes, by length: the public IPv4 BGP table's mix that
# tests/bench/bench_fib.c documents (/24 60 %, /22-/23 23 %, /16-/21 16 %).
BGP_SHARE = {8: 2, 9: 2, 10: 4, 11: 10, 12: 30, 13: 60, 14: 110, 15: 190, 16: 1400,
             17: 850, 18: 1450, 19: 2650, 20: 4300, 21: 5100, 22: 12500, 23: 10300,
             24: 60000, 25: 130, 26: 130, 27: 130, 28: 130, 29: 130, 30: 130, 31: 130,
             32: 130}
SEED = 13


def ip(a):
    return f"{a >> 24}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}"


def prefix(rnd, length, first_octets):
    """A random a.b.c.d/len whose first octet is one of first_octets."""
    a = rnd.choice(first_octets) << 24 | rnd.getrandbits(24)
    mask = (0xffffffff << (32 - length)) & 0xffffffff
    return f"{ip(a & mask)}/{length}"


def port_range(rnd):
    lo = rnd.randrange(0, 65536)
    return f'"{lo}"' if rnd.random() < 0.5 else f'"{lo}-{rnd.randrange(lo, 65536)}"'


def rules_config(n):
    """n - 1 random drop rules no generated packet matches (their source
    prefixes avoid 10/8, netvm-pktgen's), then the rule the traffic takes."""
    rnd = random.Random(SEED)
    others = [o for o in range(1, 224) if o != 10]
    rules = []
    for _ in range(n - 1):
        keys = [f'proto = "{rnd.choice(("tcp", "udp"))}"',
                f'src = "{prefix(rnd, rnd.randrange(8, 33), others)}"',
                f'dst = "{prefix(rnd, rnd.randrange(8, 33), range(1, 224))}"']
        if rnd.random() < 0.5:
            keys.append(f"sport = {port_range(rnd)}")
        keys.append(f"dport = {port_range(rnd)}")
        rules.append("{ " + "; ".join(keys) + '; action = "drop"; }')
    rules.append('{ dst = "10.0.2.0/24"; role = 1; }')
    return "rules = (\n  " + ",\n  ".join(rules) + "\n);\ndefault = { action = \"drop\"; };"


def routes_file(path, n):
    """n routes: the traffic's, and n - 1 random distinct prefixes outside
    10/8 with BGP_SHARE's lengths."""
    rnd = random.Random(SEED)
    lengths = list(BGP_SHARE)
    weights = [BGP_SHARE[d] for d in lengths]
    others = [o for o in range(1, 224) if o != 10]
    seen = set()
    with open(path, "w") as f:
        f.write(f"# {n} routes, BGP prefix-length mix; the traffic takes the first\n{ROUTE}\n")
        while len(seen) < n - 1:
            p = prefix(rnd, rnd.choices(lengths, weights)[0], others)
            if p not in seen:
                seen.add(p)
                f.write(f"{p} {len(seen) % 2} 02:00:00:00:02:02\n")


def flow_table_size(flows):
    size = 65536
    while size < 2 * flows:
        size *= 2
    return size


def case(sweep, n, out):
    """trial options of point n of a sweep"""
    if sweep == "rules":
        # the core builds its classifier before it connects its ports: at
        # 100 000 rules that can take longer than the generator's 20 s wait
        return {"config": rules_config(n), "nfs": [BRIDGE],
                "extra_pg": ["--link-timeout", "300"]}
    if sweep == "flows":
        return {"flows": n, "nfs": [BRIDGE],
                "core_opts": f"flow_table_size = {flow_table_size(n)};"}
    if sweep == "instances":
        return {"flows": 1024, "nfs": [BRIDGE] * n}
    if sweep == "chain":
        config, nfs = bridge_chain(n)
        return {"config": config, "nfs": nfs}
    if sweep == "routes":
        path = os.path.join(out, f"routes-{n}.txt")
        if not os.path.exists(path):
            routes_file(path, n)
        return {"nfs": [("apps/l3fwd/netvm-l3fwd", 1, ["--mode", "lpm", "--routes", path])]}
    return {"size": n, "nfs": [BRIDGE], **bench_trial.JUMBO}


def route_dsts(path, count=4096):
    """Up to @count destinations, each inside a different route of routes
    file @path (the first address after the prefix's network address), so
    that the replayed traffic looks up routes all over the table."""
    nets = []
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                addr, length = line.split()[0].split("/")
                a = sum(int(o) << s for o, s in zip(addr.split("."), (24, 16, 8, 0)))
                nets.append(a + 1 if int(length) < 32 else a)
    rnd = random.Random(SEED)
    return nets if len(nets) <= count else rnd.sample(nets, count)


def pcap_case(sweep, n, out):
    """more options of point n of a sweep with the pcap source"""
    if sweep == "routes":
        dsts = route_dsts(os.path.join(out, f"routes-{n}.txt"))
        return {"flows": len(dsts), "dsts": dsts}
    return {}


def cost(sweep, p):
    """(what, spread of cycles per packet) that a point of the sweep costs"""
    core = [sum(r["core"].get(f"cycles_{k}_x100", 0) for k in
                ("nic_core", "core_nf", "nf_core", "core_nic")) / 100 for r in p["raw"]]
    hop = [sum(r["core"].get(f"cycles_{k}_x100", 0) for k in ("core_nf", "nf_core")) / 100
           for r in p["raw"]]
    if sweep == "rules":
        return "NIC->core (RX + classify)", p["cycles_nic_core"]
    if sweep == "chain":
        return "core per hop (core->NF + NF->core)", spread(hop)
    if sweep == "routes":
        return "l3fwd callback", p["cycles_nf_app"]
    return "core, 4 stages", spread(core)


def ratio(a, b):
    return a / b if a and b else None


def run_sweep(s, sweep, points, source):
    """Interleaved trials of every point of one sweep, its traffic from
    @source; the points, summarised."""
    runs = {n: [] for n in points}
    opts = {n: case(sweep, n, s.out) for n in points}
    runner = bench_trial.run
    if source == "pcap":
        runner = bench_trial.run_pcap
        for n, o in opts.items():
            o.pop("extra_pg", None)  # the generator's own options
            o.pop("memif_opts", None)
            o.update(pcap_case(sweep, n, s.out))
    for _ in range(s.trials):
        for n in points:
            runs[n] += s.trial_set(f"{sweep}-{n}", n=1, seconds=s.seconds, runner=runner,
                                   **opts[n])
    pts = []
    for n in points:
        p = stage_cycles(s.point(f"{sweep} {n}", runs[n],
                                 {"sweep": sweep, "n": n, "source": source}))
        p["cost_what"], p["cost"] = cost(sweep, p)
        pts.append(p)
    base = pts[0]
    for p in pts:
        p["rate_vs_first"] = ratio(p["rx_mpps"]["median"], base["rx_mpps"]["median"])
        p["cost_vs_first"] = ratio(p["cost"]["median"], base["cost"]["median"])
        if sweep == "size":
            wire = (p["n"] + 20) * 8  # bits per frame on the wire: preamble and gap
            p["link_mpps"] = {g: g * 1e3 / wire for g in LINKS_GBPS}
    return pts


def rel(pts, key):
    return [(p["n"], p[key], p[key], p[key]) for p in pts if p[key] is not None]


def plot_sweep(s, sweep, pts):
    if sweep == "size":
        s.plot("scale_size.png", "Forwarded throughput by frame size", "frame size (B)",
               "Gbit/s", [("forwarded", [(p["n"], p["rx_gbps"]["median"], p["rx_gbps"]["min"],
                                          p["rx_gbps"]["max"]) for p in pts])])
        return
    s.plot(f"scale_{sweep}.png", f"{sweep}: rate and cost against {pts[0]['n']} {sweep}",
           sweep, f"x the first point ({pts[0]['n']})",
           [("forwarded rate", rel(pts, "rate_vs_first")),
            (f"cycles/pkt: {pts[0]['cost_what']}", rel(pts, "cost_vs_first"))],
           logx=pts[-1]["n"] >= 100)


def shape(sweep, pts):
    """One sentence with the curve's shape in numbers."""
    first, last = pts[0], pts[-1]
    if sweep == "size":
        return (f"size: {first['rx_mpps']['median']:.3f} Mpps / {first['rx_gbps']['median']:.2f} "
                f"Gbit/s at {first['n']} B, {last['rx_mpps']['median']:.3f} Mpps / "
                f"{last['rx_gbps']['median']:.2f} Gbit/s at {last['n']} B "
                f"(10 GbE: {last['link_mpps'][10]:.3f} Mpps).")
    c = "-" if last["cost_vs_first"] is None else f"{last['cost_vs_first']:.2f}x"
    r = "-" if last["rate_vs_first"] is None else f"{last['rate_vs_first']:.2f}x"
    return (f"{sweep}: {first['n']} -> {last['n']}: {first['cost_what']} "
            f"{first['cost']['median']:.1f} -> {last['cost']['median']:.1f} cycles/pkt ({c}), "
            f"rate {r}.")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench_scale.py OUTDIR")
    s = Suite("scale", sys.argv[1])
    s.setup.timeout = 300  # 100 000 rules or 1 000 000 routes take a while to build
    names = os.environ.get("NETVM_BENCH_SCALE", " ".join(SWEEPS)).split()
    bad = [n for n in names if n not in SWEEPS]
    if bad:
        sys.exit(f"bench: NETVM_BENCH_SCALE: unknown sweep(s) {' '.join(bad)} "
                 f"({' '.join(SWEEPS)})")
    cap = env_num("NETVM_BENCH_SCALE_MAX", 0, int, least=0)
    source = os.environ.get("NETVM_BENCH_SCALE_SOURCE", "pcap")
    if source not in SOURCES:
        sys.exit(f"bench: NETVM_BENCH_SCALE_SOURCE: '{source}' is not one of "
                 f"{' '.join(SOURCES)}")
    s.doc["settings"].update({"sweeps": names, "scale_max": cap, "source": source})
    _witness(s, "before")
    print(f"bench: suite scale ({' '.join(names)}): {s.trials} trial(s) x {s.seconds:g} s, "
          f"interleaved; results in {s.out}", flush=True)
    shapes = []
    try:
        for sweep in names:
            points = SWEEPS[sweep]
            src = source if sweep in PCAP_SWEEPS else "pktgen"
            if cap > 0 and sweep in SIZED:
                points = [n for n in points if n <= cap] or points[:1]
            if src == "pcap" and sweep == "flows" and points[-1] > PCAP_MAX_FLOWS:
                print(f"bench: scale flows: the pcap source stops at {PCAP_MAX_FLOWS} "
                      "flows (NETVM_BENCH_SCALE_SOURCE=pktgen goes to "
                      f"{points[-1]})", flush=True)
                points = [n for n in points if n <= PCAP_MAX_FLOWS]
            pts = run_sweep(s, sweep, pick(points, s.points), src)
            plot_sweep(s, sweep, pts)
            shapes.append(shape(sweep, pts))
    finally:
        s.setup.cleanup()
    _witness(s, "after")
    s.doc["shape"] = shapes
    s.doc["method"] = (
        "Each sweep against its own first point, trials interleaved (round t runs "
        "trial t of every point). Rate: frames back at the generator (unpaced, 64 B "
        "but in 'size'), or, with the pcap source (settings.source), frames the "
        "core sent while its port 0 replayed one 64 B frame per flow (size: of that "
        "size; routes: 4096 flows to addresses all over the table). Cost: TSC "
        "cycles per packet from the core's stage counters "
        "(rules: NIC->core, the RX burst and classification; chain: core->NF + "
        "NF->core, i.e. per hop; flows, instances, size: the four core stages summed) "
        "or netlib's count of the NF's callback (routes). Cache-line round trip "
        "before / after (ns, median [min - max]): "
        f"{_rtt(s.doc['machine']['cacheline_rtt_ns_before'])} / "
        f"{_rtt(s.doc['machine']['cacheline_rtt_ns_after'])}; load average "
        f"{s.doc['machine']['loadavg_before']:.1f} / {s.doc['machine']['loadavg_after']:.1f}.")
    s.doc["result"] = "\n".join("- " + x for x in shapes)
    return s.finish([
        ("sweep", lambda p: p["sweep"]), ("n", lambda p: str(p["n"])),
        ("forwarded Mpps", lambda p: fmt(p["rx_mpps"])),
        ("Gbit/s", lambda p: fmt(p["rx_gbps"], 2)),
        ("rate / first", lambda p: _x(p["rate_vs_first"])),
        ("cost", lambda p: p["cost_what"]),
        ("cycles/pkt", lambda p: fmt(p["cost"], 1)),
        ("cost / first", lambda p: _x(p["cost_vs_first"])),
        ("10/25/40/100 GbE Mpps", _links)])


def _witness(s, when):
    """The host's load now, as machine.cacheline_rtt_ns_WHEN and loadavg_WHEN."""
    w = bench_machine.witness(s.out, when)
    s.doc["machine"][f"cacheline_rtt_ns_{when}"] = w["cacheline_rtt_ns"]
    s.doc["machine"][f"loadavg_{when}"] = w["loadavg"]


def _links(p):
    """line rates of a size point, "" for the other sweeps"""
    links = p.get("link_mpps")
    return " / ".join(f"{links[g]:.3g}" for g in LINKS_GBPS) if links else ""


def _x(v):
    return "-" if v is None else f"{v:.2f}"


def _rtt(r):
    return "not measured" if r is None else f"{r['median']:.0f} [{r['min']:.0f} - {r['max']:.0f}]"


if __name__ == "__main__":
    sys.exit(main())
