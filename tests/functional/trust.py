#!/usr/bin/env python3
"""trust: two trust groups; a packet crosses between them only as a copy.

The chain [1, 2]: bridge --next (role 1, trust group "default", which shares
the pool the port receives into) then l3fwd (role 2, trust group "tenant",
with a pool region of its own). Every packet that reaches l3fwd must have been
copied once into the tenant's pool (cross_pool_copies), the output must still
equal the model's (the copy is exact), and both pools must be whole at exit.

Then the tenant's port: with `ports = [ 0 ]` in the tenant's group, port 0
receives into the tenant's pool, and its packets reach the tenant's l3fwd
(role 2, directly) with no copy at all, while the ones sent to the default
group's bridge (role 1, dst 10.1/16 by a rule before) are copied once into
the default pool. The default pool, which every default-group NF maps, never
holds the tenant's packets.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, check_counters, replay  # noqa: E402

CONFIG = """trust_groups = ( { name = "tenant"; roles = [ 2 ]; } );
chains = ( { name = "two"; roles = [ 1, 2 ]; } );
rules = ( { in_port = 0; chain = "two"; } );
default = { action = "drop"; };
"""
PORT_CONFIG = """trust_groups = ( { name = "tenant"; roles = [ 2 ]; ports = [ 0 ]; } );
rules = ( { in_port = 0; dst = "10.1.0.0/16"; role = 1; }, { in_port = 0; role = 2; } );
default = { action = "drop"; };
"""


def main():
    env = nvenv.setup("trust", timeout=170, description=__doc__)
    chk = check.Checker("trust")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN, nvenv.BRIDGE_BIN])

    pkts = traffic.mixed_traffic(seed=4242)
    frames = [p.frame for p in pkts]
    table = model.LpmTable(traffic.LPM_ROUTES)
    routes = env.path("routes.txt")
    table.write(routes)
    nfs = [NfSpec(nvenv.BRIDGE_BIN, 1, ["--next"], "bridge"),
           NfSpec(nvenv.L3FWD_BIN, 2, ["--mode", "lpm", "--routes", routes], "l3fwd")]
    res = replay(env, chk, "trust", CONFIG, frames, nfs)
    if not res.started:
        env.done(chk)
    exp = model.expected_output(frames, table, res.port_macs)
    check_counters(chk, "trust", res, exp, len(frames), l3fwd_idx=[1])
    reached = len(frames) - exp.count("malformed")

    chk.section("the group boundary")
    chk.eq(res.live.get("cross_pool_copies"), reached,
           "every packet reaching the tenant's l3fwd was copied once into its pool")
    for name, nf_id in zip(("bridge (default group)", "l3fwd (tenant group)"), res.nf_ids):
        chk.eq(res.live.get(f"nf{nf_id}_rx"), reached, f"{name} nf{nf_id}_rx == packets past RX")
    for k in (0, 1):
        total = res.final.get(f"pool{k}_total")
        chk.ok(total == 4096 and res.final.get(f"pool{k}_free") == total,
               f"pool {k} exists with 4096 buffers and is whole at exit",
               f"pool{k}_free={res.final.get(f'pool{k}_free')}, pool{k}_total={total}")
    chk.ok("pool2_total" not in res.final, "no third pool", str(res.final.get("pool2_total")))
    for port in (0, 1):
        got = res.out.get(port)
        if got is None:
            continue
        diffs = pcaps.compare(exp.per_port[port], got)
        chk.ok(not diffs, f"port {port} output equals the model's "
               f"({len(exp.per_port[port])} packets, in order)", "; ".join(diffs))
    tenant_port(env, chk, routes)
    env.done(chk)


def tenant_port(env, chk, routes):
    """Port 0 in the tenant's group: no copy on the way to the tenant's NF."""
    chk.section("a port that receives into the tenant's pool")
    # UDP frames, one in four to 10.1/16 (the bridge), the rest to 10.2/16
    nets = ["10.1.0.0/16", "10.2.0.0/16", "10.2.0.0/16", "10.2.0.0/16"]
    frames = [p.frame for p in traffic.simple_flows(77, nets, 200)]
    to_bridge = 50
    nfs = [NfSpec(nvenv.BRIDGE_BIN, 1, [], "bridge"),
           NfSpec(nvenv.L3FWD_BIN, 2, ["--mode", "lpm", "--routes", routes], "l3fwd")]
    res = replay(env, chk, "trust-port", PORT_CONFIG, frames, nfs)
    if not res.started:
        return
    st = res.live
    bridge_id, l3fwd_id = res.nf_ids
    chk.eq(st.get(f"nf{bridge_id}_rx"), to_bridge,
           f"the default group's bridge gets the {to_bridge} packets for 10.1/16")
    chk.eq(st.get(f"nf{l3fwd_id}_rx"), len(frames) - to_bridge,
           "the tenant's l3fwd gets every other packet")
    chk.eq(st.get("cross_pool_copies"), to_bridge,
           "only the packets for the default group's bridge were copied (into its pool)")
    for k in (0, 1):
        total = res.final.get(f"pool{k}_total")
        chk.ok(total == 4096 and res.final.get(f"pool{k}_free") == total,
               f"pool {k} is whole at exit", f"pool{k}_free={res.final.get(f'pool{k}_free')}")


if __name__ == "__main__":
    main()
