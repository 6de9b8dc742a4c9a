#!/usr/bin/env python3
"""pcap_l3fwd: a mixed pcap through the core engine and one l3fwd, LPM then hash mode.

The input (tests/lib/nvtest/traffic.py) holds 200+ TCP/UDP flows of 64..1500
byte packets, ICMP, TTL 0/1/2, unroutable destinations, bad IPv4 header
checksums, malformed IPv4, ARP and IPv6. The expected output of each port is
computed by the model (tests/lib/nvtest/model.py) from the routes or flows and
the port MACs the core printed, and compared packet by packet, in order (one
NF with one queue keeps the order). Drop counters of the core and of l3fwd
must match the model's verdicts. Then, in LPM mode, IPv4 frames with every
TTL 0-255 (two checksums each) and with IPv4 options (docs/l3fwd.md: carried
unchanged).
"""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import (IP, UDP, IPOption_LSRR, IPOption_NOP,  # noqa: E402
                               IPOption_RR, IPOption_Timestamp)
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check, model, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, check_counters, replay  # noqa: E402

CONFIG = """rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""


def flow_entries(pkts):
    """Flows file for hash mode: most generated flows, every 10th left out (no route),
    one sent to port 5, which the core does not have (bad_port)."""
    entries = []
    seen = set()
    for p in pkts:
        if p.kind not in ("forwarded", "ttl_expired", "bad_cksum") or p.tuple5 in seen:
            continue
        seen.add(p.tuple5)
        if p.flow % 10 == 3:
            continue
        port = 5 if p.flow == 7 else p.flow % 2
        mac = f"02:00:00:01:{(p.flow >> 8) & 0xff:02x}:{p.flow & 0xff:02x}"
        entries.append((p.tuple5, port, mac))
    return entries


def run_mode(env, chk, mode, pkts):
    """One replay in @mode ('lpm' or 'hash'), compared with the model."""
    chk.section(f"l3fwd --mode {mode}")
    if mode == "lpm":
        table = model.LpmTable(traffic.LPM_ROUTES)
        path = env.path("routes.txt")
        app = ["--mode", "lpm", "--routes", path]
    else:
        table = model.FlowTable(flow_entries(pkts))
        path = env.path("flows.txt")
        app = ["--mode", "hash", "--flows", path]
    table.write(path)
    frames = [p.frame for p in pkts]
    tag = f"l3fwd-{mode}"
    res = replay(env, chk, tag, CONFIG, frames, [NfSpec(nvenv.L3FWD_BIN, 1, app, "l3fwd")])
    if not res.started:
        return
    if not chk.ok(set(res.port_macs) >= {0, 1}, f"{tag}: port MACs known for the model",
                  f"core printed {res.port_macs}"):
        return
    exp = model.expected_output(frames, table, res.port_macs)
    print(f"  model: {dict(exp.verdicts)}; port0 {len(exp.per_port[0])}, "
          f"port1 {len(exp.per_port[1])} packets", flush=True)
    check_counters(chk, tag, res, exp, len(frames), l3fwd_idx=[0])
    if res.nf_ids:
        chk.eq(res.live.get(f"nf{res.nf_ids[0]}_rx"), len(frames) - exp.count("malformed"),
               f"{tag}: nf{res.nf_ids[0]}_rx (all but the malformed reach l3fwd)")
    for port in (0, 1):
        got = res.out.get(port)
        if got is None:
            continue
        diffs = pcaps.compare(exp.per_port[port], got)
        chk.ok(not diffs, f"{tag}: port {port} output equals the model "
               f"({len(exp.per_port[port])} packets, byte for byte, in order)", "; ".join(diffs))


def ttl_and_options_frames(seed=1812):
    """IPv4/UDP frames to 10.1.0.0/16 with every TTL 0-255, each with two
    identifications (so the header checksums take many values), and frames
    carrying IPv4 options (Record Route, Timestamp, a loose source route
    through another address, NOPs), TTL 64."""
    rng = random.Random(seed)
    eth = Ether(src=traffic.IN_SRC_MAC, dst=traffic.IN_DST_MAC)
    frames = []
    for ttl in range(256):
        for _ in range(2):
            frames.append(bytes(eth / IP(src="10.0.0.1", dst=f"10.1.{ttl}.{rng.randint(1, 254)}",
                                         ttl=ttl, id=rng.randint(0, 65535)) /
                                UDP(sport=1000 + ttl, dport=53) / (b"t" * 22)))
    for opts in ([IPOption_RR(routers=["0.0.0.0"] * 3)],
                 [IPOption_Timestamp(flg=0, timestamp=0, oflw=0, length=12, pointer=5)],
                 [IPOption_LSRR(routers=["10.2.0.7"])],
                 [IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_NOP()]):
        frames.append(bytes(eth / IP(src="10.0.0.1", dst="10.1.9.9", ttl=64, options=opts) /
                            UDP(sport=7, dport=53) / (b"o" * 22)))
    return frames


def run_ttl_options(env, chk):
    """Every TTL and IPv4 options through LPM mode, compared with the model:
    TTL - 1 and a header checksum that verifies for every TTL forwarded, the
    options carried unchanged (RFC 1812's are not processed), TTL 0 and 1
    dropped."""
    chk.section("l3fwd: every TTL, IPv4 options")
    table = model.LpmTable(traffic.LPM_ROUTES)
    path = env.path("routes-ttl.txt")
    table.write(path)
    frames = ttl_and_options_frames()
    tag = "l3fwd-ttl"
    res = replay(env, chk, tag, CONFIG, frames,
                 [NfSpec(nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", path], "l3fwd")])
    if not res.started or not chk.ok(set(res.port_macs) >= {0, 1},
                                     f"{tag}: port MACs known for the model",
                                     f"core printed {res.port_macs}"):
        return
    exp = model.expected_output(frames, table, res.port_macs)
    chk.eq((exp.count("forwarded"), exp.count("ttl_expired")), (2 * 254 + 4, 4),
           f"{tag}: the model forwards TTL 2-255 and the options, drops TTL 0 and 1")
    check_counters(chk, tag, res, exp, len(frames), l3fwd_idx=[0])
    got = res.out.get(1)
    if got is not None:
        diffs = pcaps.compare(exp.per_port[1], got)
        chk.ok(not diffs, f"{tag}: port 1 output equals the model "
               f"({len(exp.per_port[1])} packets, byte for byte, in order)", "; ".join(diffs))


def main():
    env = nvenv.setup("pcap_l3fwd", timeout=280, description=__doc__)
    chk = check.Checker("pcap_l3fwd")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    pkts = traffic.mixed_traffic()
    tuples = {p.tuple5 for p in pkts if p.tuple5 and p.tuple5[2] in (6, 17)}
    chk.ge(len(tuples), 200, "input has >= 200 distinct TCP/UDP 5-tuples")
    for mode in ("lpm", "hash"):
        run_mode(env, chk, mode, pkts)
    run_ttl_options(env, chk)
    env.done(chk)


if __name__ == "__main__":
    main()
