#!/usr/bin/env python3
"""instances: two l3fwd instances serve role 1; the core spreads flows over them.

Both instances must get traffic, no flow may be reordered (the core picks the
instance by flow hash), and each port's output must be the model's output as
a multiset; packets of each flow must come out in input order.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import (NfSpec, check_counters, check_flow_output, expected_of,  # noqa: E402
                            replay)

CONFIG = """rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""


def main():
    env = nvenv.setup("instances", timeout=170, description=__doc__)
    chk = check.Checker("instances")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    pkts = traffic.mixed_traffic(seed=99, nb_flows=240, pkts_per_flow=(2, 5))
    frames = [p.frame for p in pkts]
    table = model.LpmTable(traffic.LPM_ROUTES)
    routes = env.path("routes.txt")
    table.write(routes)
    app = ["--mode", "lpm", "--routes", routes]
    nfs = [NfSpec(nvenv.L3FWD_BIN, 1, app, "l3fwd-a"), NfSpec(nvenv.L3FWD_BIN, 1, app, "l3fwd-b")]
    res = replay(env, chk, "instances", CONFIG, frames, nfs, wait_nfs=2)
    exp = expected_of(chk, "instances", res, frames, table)
    if exp is None:
        env.done(chk)
    check_counters(chk, "instances", res, exp, len(frames), l3fwd_idx=[0, 1])
    chk.eq(len(set(res.nf_ids)), 2, "instances: two distinct instance ids")
    rx = [res.live.get(f"nf{i}_rx") for i in res.nf_ids]
    for nf_id, n in zip(res.nf_ids, rx):
        chk.gt(n, 0, f"instances: instance nf{nf_id} got traffic (nf{nf_id}_rx)")
    chk.eq(sum(n or 0 for n in rx), len(frames) - exp.count("malformed"),
           "instances: nf_rx of both instances add up to the packets past RX")
    fwd = [res.nf_counters[i].get("forwarded", 0) if i < len(res.nf_counters) else 0
           for i in (0, 1)]
    chk.ok(all(n > 0 for n in fwd), "instances: both l3fwd processes forwarded packets",
           f"forwarded {fwd}")
    check_flow_output(chk, "instances", res, exp)
    env.done(chk)


if __name__ == "__main__":
    main()
