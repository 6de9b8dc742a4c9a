#!/usr/bin/env python3
"""pcap_l3fwd6: IPv6 through the core engine and one l3fwd (pcap_l3fwd's IPv6 twin).

One route file holds IPv4 and IPv6 prefixes (a /64 in a /48, a /127 and a
/128 in that /64, a /20 off a byte boundary, a /16); the input
(tests/lib/nvtest/traffic.py mixed_traffic6) holds 120 IPv6 TCP/UDP flows of
96..1500 byte packets, ICMPv6 echoes, hop limits 0/1/2, unroutable IPv6
destinations, IPv4 flows in between and ARP. The expected output of each port
is computed by the model (tests/lib/nvtest/model.py: linear longest-prefix
scan, hop limit - 1, no checksum) and compared packet by packet, in order;
the counters of the core and of l3fwd must match the model's verdicts. Then
the same frames in hash mode, whose flow files are IPv4 only: every IPv6
frame is a no_route.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, check_counters, replay  # noqa: E402

CONFIG = """rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""


def run_mode(env, chk, mode, pkts):
    """One replay in @mode ('lpm' or 'hash'), compared with the model."""
    chk.section(f"l3fwd --mode {mode}, IPv6")
    if mode == "lpm":
        table = model.LpmTable(traffic.LPM_ROUTES6)
        path = env.path("routes6.txt")
        app = ["--mode", "lpm", "--routes", path]
    else:
        v4 = [p for p in pkts if p.tuple5 and ":" not in p.tuple5[0] and p.tuple5[2] in (6, 17)]
        table = model.FlowTable([(p.tuple5, p.flow % 2, "02:00:00:00:44:44") for p in v4])
        path = env.path("flows6.txt")
        app = ["--mode", "hash", "--flows", path]
    table.write(path)
    frames = [p.frame for p in pkts]
    tag = f"l3fwd6-{mode}"
    res = replay(env, chk, tag, CONFIG, frames, [NfSpec(nvenv.L3FWD_BIN, 1, app, "l3fwd")])
    if not res.started:
        return
    if not chk.ok(set(res.port_macs) >= {0, 1}, f"{tag}: port MACs known for the model",
                  f"core printed {res.port_macs}"):
        return
    exp = model.expected_output(frames, table, res.port_macs)
    print(f"  model: {dict(exp.verdicts)}; port0 {len(exp.per_port[0])}, "
          f"port1 {len(exp.per_port[1])} packets", flush=True)
    if mode == "lpm":
        six = sum(1 for f in exp.per_port[0] + exp.per_port[1] if f[12:14] == b"\x86\xdd")
        chk.ge(six, 300, f"{tag}: the model forwards >= 300 IPv6 packets")
    check_counters(chk, tag, res, exp, len(frames), l3fwd_idx=[0])
    for port in (0, 1):
        got = res.out.get(port)
        if got is None:
            continue
        diffs = pcaps.compare(exp.per_port[port], got)
        chk.ok(not diffs, f"{tag}: port {port} output equals the model "
               f"({len(exp.per_port[port])} packets, byte for byte, in order)", "; ".join(diffs))


def main():
    env = nvenv.setup("pcap_l3fwd6", timeout=280, description=__doc__)
    chk = check.Checker("pcap_l3fwd6")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    pkts = traffic.mixed_traffic6()
    for mode in ("lpm", "hash"):
        run_mode(env, chk, mode, pkts)
    env.done(chk)


if __name__ == "__main__":
    main()
