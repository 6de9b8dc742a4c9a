#!/usr/bin/env python3
"""pcap_l3fwd: a mixed pcap through the core engine and one l3fwd, LPM then hash mode.

The input (tests/lib/nvtest/traffic.py) holds 200+ TCP/UDP flows of 64..1500
byte packets, ICMP, TTL 0/1/2, unroutable destinations, bad IPv4 header
checksums, malformed IPv4, ARP and IPv6. The expected output of each port is
computed by the model (tests/lib/nvtest/model.py) from the routes or flows and
the port MACs the core printed, and compared packet by packet, in order (one
NF with one queue keeps the order). Drop counters of the core and of l3fwd
must match the model's verdicts.
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
    env.done(chk)


if __name__ == "__main__":
    main()
