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

Last, frames an NF placed anywhere in its buffer: a raw NF of the default
group (tests/lib/nvtest/rawnf.py) sends TO_ROLE to a raw NF of the tenant's
group a frame filling its whole buffer (offset 0) and one starting 100 bytes
in and running to the buffer's end. The copy into the tenant's pool must
give the tenant's NF each frame whole, in one buffer (docs/core.md: frames
passed to another NF are only bounded by the buffer), and both pools must be
whole at exit.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, pcaps, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, check_counters, replay  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import ACT_DROP, ACT_TO_ROLE  # noqa: E402

CONFIG = """trust_groups = ( { name = "tenant"; roles = [ 2 ]; } );
chains = ( { name = "two"; roles = [ 1, 2 ]; } );
rules = ( { in_port = 0; chain = "two"; } );
default = { action = "drop"; };
"""
PORT_CONFIG = """trust_groups = ( { name = "tenant"; roles = [ 2 ]; ports = [ 0 ]; } );
rules = ( { in_port = 0; dst = "10.1.0.0/16"; role = 1; }, { in_port = 0; role = 2; } );
default = { action = "drop"; };
"""
RAW_CONFIG = """core = { pool_buffers = 2048; };
trust_groups = ( { name = "tenant"; roles = [ 2 ]; } );
rules = ( { dst = "10.2.0.0/16"; role = 2; } );
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
    full_buffers(env, chk)
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



def full_buffers(env, chk):
    """Frames reaching to the ends of their buffer cross the group boundary whole."""
    chk.section("frames filling their buffer, copied into the tenant's pool")
    core = Core(env, "trust-raw", RAW_CONFIG, ["net_null0,no-rx=1", "net_null1,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts (two net_null ports, no traffic)", err or ""):
        return
    src = rawnf.attach_running(env, chk, core.sock, 1)
    dst = rawnf.attach_running(env, chk, core.sock, 2)
    # the core counts an NF attached once its datapath can reach it, some time
    # after the NF says RUNNING: before, a packet for role 2 finds no instance
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 2, timeout=10)
    if not chk.ok(ok, "both raw NFs are attached", f"nfs_attached={st.get('nfs_attached')}"):
        return
    stride = src.buf_stride
    fresh = []
    deadline = time.monotonic() + 10
    while len(fresh) < 2 and time.monotonic() < deadline:
        fresh += src.alloc.dequeue(2 - len(fresh))
        time.sleep(0.01)
    if not chk.eq(len(fresh), 2, "the default group's raw NF gets 2 fresh buffers"):
        return
    # (data_off, len, payload): each frame ends at the buffer's end
    frames = []
    for (off, length), seed in zip(((0, stride), (100, stride - 100)), (1, 2)):
        payload = bytes((i * 7 + seed) & 0xff for i in range(length))
        frames.append((off, length, payload))
    descs = []
    for desc, (off, length, payload) in zip(fresh, frames):
        d = desc.copy(data_off=off, len=length, action=ACT_TO_ROLE, arg=2)
        src.write_packet(d, 0, payload)
        descs.append(d)
    chk.ok(src.send(descs), "the default group's raw NF sends both TO_ROLE 2")
    got = dst.receive(2, timeout=10)
    chk.eq(len(got), 2, "the tenant's raw NF receives 2 packets")
    for (off, length, payload), d in zip(frames, got):
        chk.eq(d.len, length, f"the frame of {length} bytes at offset {off} arrives whole "
               "(its length)")
        chk.ok(d.data_off + d.len <= dst.buf_stride and dst.packet(d) == payload,
               f"the frame of {length} bytes at offset {off}: the same bytes, in one buffer",
               f"data_off {d.data_off} len {d.len}")
    st = core.stats()
    chk.eq(st.get("cross_pool_copies"), 2, "both were copied once into the tenant's pool")
    chk.ok(dst.send([d.copy(action=ACT_DROP) for d in got]), "the tenant's raw NF drops them")
    src.close()
    dst.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, timeout=10)
    chk.ok(ok, "both raw NFs detach", f"nfs_attached={st.get('nfs_attached')}")
    final = core.stop_checked(chk)
    chk.ok(final.get("pool1_total") == 2048 and final.get("pool1_free") == 2048,
           "the tenant's pool is whole at exit",
           f"pool1_free={final.get('pool1_free')}, pool1_total={final.get('pool1_total')}")


if __name__ == "__main__":
    main()
