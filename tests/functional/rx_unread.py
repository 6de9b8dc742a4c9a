#!/usr/bin/env python3
"""rx_unread: core.rx_parse = "when_needed" hands frames on unread, and only then.

  macswap   the default sends everything to netvm-macswap, one instance, no
            rule: no frame is read at RX (rx_unread == every frame), so the
            malformed frames are not dropped there: every frame of 12 bytes or
            more leaves port 1 with its MACs swapped, in order (drop_malformed
            0), the NF drops the shorter ones
  chain     the default's chain [1, 2]: the bridge (--next) gets every frame
            unread; the core reads each when it passes it to role 2, which
            two l3fwd instances serve: the malformed frames are dropped there
            (drop_malformed), the others spread over both instances by flow
            hash, no flow reordered, each port's output the model's
  port      the same chain entered by a rule on the input port alone: the
            port decides, nothing to read; as chain
  rule      the same chain entered by a rule on the protocol (a second rule
            takes the rest to the chain too): a rule needs the frames read,
            so nothing goes unread (rx_unread 0) and the malformed frames are
            dropped at RX, as with rx_parse = "always"
  always    the macswap run with the default rx_parse: rx_unread stays 0 and
            the core drops the malformed frames at RX
  l3fwd     l3fwd alone, unread: it meets the malformed frames itself, drops
            them (its own malformed counter) and forwards exactly what the
            model forwards
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import (NfSpec, check_counters, check_flow_output, expected_of,  # noqa: E402
                            replay)

LAZY = 'rx_parse = "when_needed";\n'
CHAIN = 'chains = ( { name = "two"; roles = [ 1, 2 ]; } );\n'


def macswap(env, chk, frames, table, lazy):
    """Everything to netvm-macswap by the default; @lazy: rx_parse when_needed."""
    tag = "macswap" if lazy else "always"
    chk.section(tag)
    res = replay(env, chk, tag, "default = { role = 1; };\n", frames,
                 [NfSpec(nvenv.MACSWAP_BIN, 1, [], "macswap")],
                 core_extra=LAZY if lazy else "")
    if not res.started:
        return
    malformed = [model.l3fwd(f, table, res.port_macs)[0] == "malformed" for f in frames]
    chk.gt(sum(malformed), 0, f"{tag}: the traffic holds malformed frames")
    kept = [f for f, bad in zip(frames, malformed) if lazy or not bad]
    kept = [f for f in kept if len(f) >= 12]
    expected = [f[6:12] + f[0:6] + f[12:] for f in kept]
    chk.eq(res.core_rc, 0, f"{tag}: core exits 0")
    chk.eq(res.final.get("rx_unread"), len(frames) if lazy else 0,
           f"{tag}: rx_unread counts the frames handed on unread")
    chk.eq(res.final.get("drop_malformed"), 0 if lazy else sum(malformed),
           f"{tag}: drop_malformed" + (" stays 0: no frame was read" if lazy else
                                       " counts the malformed frames"))
    diffs = pcaps.compare(expected, res.out.get(1) or [])
    chk.ok(not diffs, f"{tag}: port 1 carries the frames, MACs swapped "
           f"({len(expected)} packets, in order)", "; ".join(diffs[:5]))
    chk.ok(res.final.get("pool0_free") == res.final.get("pool0_total"),
           f"{tag}: pool whole at exit",
           f"{res.final.get('pool0_free')} of {res.final.get('pool0_total')}")


ENTRY = {
    "chain": 'default = { chain = "two"; };\n',
    "port": 'rules = ( { in_port = 0; chain = "two"; } );\ndefault = { action = "drop"; };\n',
    "rule": 'rules = ( { in_port = 0; proto = "udp"; chain = "two"; },\n'
            '          { in_port = 0; chain = "two"; } );\ndefault = { action = "drop"; };\n',
}


def chain(env, chk, pkts, table, routes, tag):
    """The chain [1, 2]: bridge --next, two l3fwd instances; entered as
    ENTRY[@tag] says: frames unread but for "rule"."""
    by_rule = tag == "rule"
    chk.section(tag)
    frames = [p.frame for p in pkts]
    config = CHAIN + ENTRY[tag]
    app = ["--mode", "lpm", "--routes", routes]
    nfs = [NfSpec(nvenv.BRIDGE_BIN, 1, ["--next"], "bridge"),
           NfSpec(nvenv.L3FWD_BIN, 2, app, "l3fwd-a"),
           NfSpec(nvenv.L3FWD_BIN, 2, app, "l3fwd-b")]
    res = replay(env, chk, tag, config, frames, nfs, core_extra=LAZY)
    exp = expected_of(chk, tag, res, frames, table)
    if exp is None:
        return
    chk.gt(exp.count("malformed"), 0, f"{tag}: the traffic holds malformed frames")
    check_counters(chk, tag, res, exp, len(frames), l3fwd_idx=[1, 2])
    reached = len(frames) - exp.count("malformed")
    chk.eq(res.final.get("rx_unread"), 0 if by_rule else len(frames),
           f"{tag}: rx_unread")
    chk.eq(res.live.get(f"nf{res.nf_ids[0]}_rx"), reached if by_rule else len(frames),
           f"{tag}: the bridge got " + ("the frames past RX" if by_rule else
                                         "every frame, malformed ones too"))
    rx = [res.live.get(f"nf{i}_rx") for i in res.nf_ids[1:]]
    for nf_id, n in zip(res.nf_ids[1:], rx):
        chk.gt(n, 0, f"{tag}: l3fwd nf{nf_id} got traffic: flows spread by hash")
    chk.eq(sum(n or 0 for n in rx), reached,
           f"{tag}: the l3fwd instances got every well-formed frame")
    check_flow_output(chk, tag, res, exp)


def l3fwd(env, chk, frames, table, routes):
    """l3fwd alone gets every frame unread, malformed ones too."""
    tag = "l3fwd"
    chk.section(tag)
    res = replay(env, chk, tag, "default = { role = 1; };\n", frames,
                 [NfSpec(nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], "l3fwd")],
                 core_extra=LAZY)
    exp = expected_of(chk, tag, res, frames, table)
    if exp is None:
        return
    chk.eq(res.core_rc, 0, f"{tag}: core exits 0")
    chk.eq(res.nf_rc, [0], f"{tag}: l3fwd exits 0")
    chk.eq(res.final.get("rx_unread"), len(frames), f"{tag}: every frame went unread")
    chk.eq(res.final.get("drop_malformed"), 0, f"{tag}: drop_malformed stays 0")
    got = res.nf_counters[0] if res.nf_counters else {}
    chk.eq(got.get("malformed"), exp.count("malformed"),
           f"{tag}: l3fwd counted the malformed frames itself")
    chk.eq(got.get("forwarded"), exp.count("forwarded"), f"{tag}: l3fwd forwarded")
    chk.eq(res.final.get("drop_nf_drop"), len(frames) - exp.count("forwarded"),
           f"{tag}: everything else dropped by l3fwd (drop_nf_drop)")
    for port in (0, 1):
        diffs = pcaps.compare(exp.per_port[port], res.out.get(port) or [])
        chk.ok(not diffs, f"{tag}: port {port} output equals the model's "
               f"({len(exp.per_port[port])} packets, in order)", "; ".join(diffs[:5]))


def main():
    env = nvenv.setup("rx_unread", timeout=300, description=__doc__)
    chk = check.Checker("rx_unread")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.MACSWAP_BIN, nvenv.BRIDGE_BIN,
                                      nvenv.L3FWD_BIN])
    table = model.LpmTable(traffic.LPM_ROUTES)
    routes = env.path("routes.txt")
    table.write(routes)
    frames = [p.frame for p in traffic.mixed_traffic(seed=99)]
    macswap(env, chk, frames, table, lazy=True)
    macswap(env, chk, frames, table, lazy=False)
    l3fwd(env, chk, frames, table, routes)
    pkts = traffic.mixed_traffic(seed=777, nb_flows=240, pkts_per_flow=(2, 5))
    for tag in ENTRY:
        chain(env, chk, pkts, table, routes, tag)
    env.done(chk)


if __name__ == "__main__":
    main()
