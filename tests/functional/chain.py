#!/usr/bin/env python3
"""chain: a rule sends traffic through the chain [1, 2]: bridge --next, then l3fwd.

The bridge passes every packet on with NEXT; l3fwd (LPM) forwards. The output
must equal what l3fwd alone produces (the model), and both NFs must have
received every packet the core did not reject at RX. Run twice: with
--single-lcore, and with RX and TX loops on two lcores (packets cross from
the TX lcore back to the RX lcore between the chain's steps).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, check_counters, expected_of, replay  # noqa: E402

CONFIG = """chains = ( { name = "two"; roles = [ 1, 2 ]; } );
rules = ( { in_port = 0; chain = "two"; } );
default = { action = "drop"; };
"""


def run(env, chk, tag, split_lcores):
    """One replay through the chain; @split_lcores: RX and TX on two lcores."""
    chk.section(f"{tag}: " + ("RX and TX lcores apart (-l 0,1)" if split_lcores
                             else "--single-lcore"))
    pkts = traffic.mixed_traffic(seed=777)
    frames = [p.frame for p in pkts]
    table = model.LpmTable(traffic.LPM_ROUTES)
    routes = env.path("routes.txt")
    table.write(routes)
    nfs = [NfSpec(nvenv.BRIDGE_BIN, 1, ["--next"], "bridge"),
           NfSpec(nvenv.L3FWD_BIN, 2, ["--mode", "lpm", "--routes", routes], "l3fwd")]
    res = replay(env, chk, tag, CONFIG, frames, nfs, split_lcores=split_lcores)
    exp = expected_of(chk, tag, res, frames, table)
    if exp is None:
        return
    check_counters(chk, tag, res, exp, len(frames), l3fwd_idx=[1])
    reached = len(frames) - exp.count("malformed")
    for name, nf_id in zip(("bridge (role 1)", "l3fwd (role 2)"), res.nf_ids):
        chk.eq(res.live.get(f"nf{nf_id}_rx"), reached,
               f"{tag}: {name} nf{nf_id}_rx == packets past RX")
        chk.eq(res.live.get(f"nf{nf_id}_tx"), reached,
               f"{tag}: {name} nf{nf_id}_tx == packets it returned")
    chk.eq(res.live.get("drop_chain_end"), 0, f"{tag}: drop_chain_end stays 0")
    for port in (0, 1):
        got = res.out.get(port)
        if got is None:
            continue
        diffs = pcaps.compare(exp.per_port[port], got)
        chk.ok(not diffs, f"{tag}: port {port} output equals l3fwd alone "
               f"({len(exp.per_port[port])} packets, in order)", "; ".join(diffs))


def main():
    env = nvenv.setup("chain", timeout=170, description=__doc__)
    chk = check.Checker("chain")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN, nvenv.BRIDGE_BIN])
    run(env, chk, "chain", split_lcores=False)
    run(env, chk, "chain-2lcores", split_lcores=True)
    env.done(chk)


if __name__ == "__main__":
    main()
