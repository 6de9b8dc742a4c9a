#!/usr/bin/env python3
"""budget: NFs that never give buffers back cannot drain the pool.

Port 0 replays a pcap endlessly: dst 10.1/16 to a well-behaved bridge (role
1, trust group "clean": its own pool, packets reach it as copies), dst
10.3/16 to role 3, served by raw NFs (tests/lib/nvtest/rawnf.py) in the
default trust group, the group of the ports' pool. The raw NFs hoard: on
every queue they take every packet from the rx ring and every fresh buffer
from the alloc ring, by advancing the consumer index, and return nothing.

core.nf_buffers = 600 and core.group_buffers = 1500 (docs/config.md), so:
  1. one raw NF with 8 queues holds exactly 600 buffers (its own budget;
     its full rings could hold far more), the rest is dropped as nf_budget;
  2. with two more raw NFs attached (3 x 600 > 1500), the three together
     hold exactly 1500 (the trust group's budget), none more than 600;
  3. all the while port 0 keeps receiving and the bridge keeps forwarding;
  4. when the raw NFs close, every buffer comes back (pool whole at exit).
Before the budgets, one such NF held nearly the whole pool and port RX
stopped.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.rawnf import NF_RUNNING, RawNf  # noqa: E402

RAW_ROLE = 3
NF_BUFFERS = 600
GROUP_BUFFERS = 1500
POOL_BUFFERS = 4096
CONFIG = f"""core = {{
  pool_buffers = {POOL_BUFFERS};
  ring_size = 256;
  nf_buffers = {NF_BUFFERS};
  group_buffers = {GROUP_BUFFERS};
}};
trust_groups = ( {{ name = "clean"; roles = [ 1 ]; }} );
rules = (
  {{ dst = "10.1.0.0/16"; role = 1; }},
  {{ dst = "10.3.0.0/16"; role = 3; }}
);
default = {{ action = "drop"; }};
"""


class Hoarder:
    """A raw NF that takes everything on every queue and returns nothing."""

    def __init__(self, sock, queues):
        self.nf = RawNf(sock, RAW_ROLE, nb_queues=queues)
        self.rings = [rawnf.Ring(self.nf.priv, self.nf.priv_u32, off)
                      for q in self.nf.queues for off in (q[0], q[2])]
        self.nf.set_state(NF_RUNNING)

    def take(self):
        """Consume whatever the core put on the rx and alloc rings."""
        for r in self.rings:
            r.cons = r.prod

    def close(self):
        self.rings = []
        self.nf.close()


def held(st, hoarders):
    return [st.get(f"nf{h.nf.nf_id}_held") for h in hoarders]


def keeps_going(chk, core, hoarders, what):
    """Port 0 receives and the bridge forwards while the hoarders go on taking."""
    a = core.stats()
    rawnf.take_until(core, hoarders, lambda s: False, timeout=1.0)
    b = core.stats()
    for key, who in (("port0_rx", "port 0 keeps receiving"),
                     ("port1_tx", "the bridge (trust group 'clean') keeps forwarding")):
        chk.ok(b.get(key, 0) > a.get(key, 0), f"{who} {what}",
               f"{key} {a.get(key)} -> {b.get(key)}")
    return b


def main():
    env = nvenv.setup("budget", timeout=170, description=__doc__)
    chk = check.Checker("budget")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])

    gen = traffic.simple_flows(5, ["10.1.0.0/16", "10.3.0.0/16"], 256)
    flows = env.path("flows.pcap")
    pcaps.write(flows, [p.frame for p in gen])
    core = Core(env, "b", CONFIG,
                [f"net_pcap0,rx_pcap={flows},infinite_rx=1", "net_null0,no-rx=1"],
                lcores="0,1", single_lcore=False, wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts (RX and TX lcores apart)", err or ""):
        env.done(chk)
    bridge = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-r1")
    err = bridge.start_attached()
    if not chk.ok(err is None, "bridge attaches (role 1, trust group 'clean')", err or ""):
        env.done(chk)
    keeps_going(chk, core, [], "before the hoarders")

    chk.section(f"one raw NF with {rawnf.MAX_QUEUES} queues hoards")
    try:
        a = Hoarder(core.sock, rawnf.MAX_QUEUES)
    except (rawnf.AttachError, OSError) as exc:
        chk.fatal("raw NF attaches with 8 queues", str(exc))
    env.add_cleanup(a.close)
    hoarders = [a]
    ok, st = rawnf.take_until(core, hoarders, lambda s: s.get("drop_nf_budget", 0) > 0 and
                         s.get(f"nf{a.nf.nf_id}_held") == NF_BUFFERS)
    chk.ok(ok, f"it holds exactly core.nf_buffers = {NF_BUFFERS} and deliveries beyond "
           f"are counted as drop_nf_budget",
           f"held {held(st, hoarders)}, drop_nf_budget {st.get('drop_nf_budget')}")
    st = keeps_going(chk, core, hoarders, "while it hoards")
    chk.eq(held(st, hoarders), [NF_BUFFERS], "it still holds exactly its budget")
    chk.ok(st.get(f"nf{a.nf.nf_id}_alloc_capped", 0) > 0,
           "refills refused at its budget are counted (alloc_capped)",
           str(st.get(f"nf{a.nf.nf_id}_alloc_capped")))

    chk.section("two more raw NFs of the same role hoard: the trust group's budget")
    for _ in range(2):
        try:
            h = Hoarder(core.sock, 1)
        except (rawnf.AttachError, OSError) as exc:
            chk.fatal("another raw NF attaches", str(exc))
        env.add_cleanup(h.close)
        hoarders.append(h)
    ok, st = rawnf.take_until(core, hoarders, lambda s: sum(v or 0 for v in held(s, hoarders)) ==
                         GROUP_BUFFERS and all(held(s, hoarders)))
    chk.ok(ok, f"together they hold exactly core.group_buffers = {GROUP_BUFFERS}, each "
           f"some", f"held {held(st, hoarders)}")
    st = keeps_going(chk, core, hoarders, "while three hoard")
    h = held(st, hoarders)
    chk.eq(sum(v or 0 for v in h), GROUP_BUFFERS, f"they still hold {GROUP_BUFFERS} ({h})")
    chk.ok(all(v is not None and v <= NF_BUFFERS for v in h),
           f"none holds more than {NF_BUFFERS}", str(h))
    total = st.get("pool0_total", 0)
    chk.ok(st.get("pool0_free", 0) >= total - GROUP_BUFFERS - 2 * 256,
           "the ports' pool keeps its free buffers",
           f"pool0_free={st.get('pool0_free')} of {total}")

    chk.section("the raw NFs close")
    for h in hoarders:
        h.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, timeout=10)
    chk.ok(ok, "only the bridge is left attached", f"nfs_attached={st.get('nfs_attached')}")
    keeps_going(chk, core, [], "after they left")
    bridge.stop_counters()
    final = core.stop_checked(chk)
    chk.eq(final.get("pool1_free"), final.get("pool1_total"),
           "trust group 'clean' pool whole at exit (pool1_free == pool1_total)")
    env.done(chk)


if __name__ == "__main__":
    main()
