#!/usr/bin/env python3
"""budget_unread: the buffer budget, a full ring and a trust group's copy when
frames are handed on unread (core.rx_parse = "when_needed").

Port 0 replays a pcap endlessly; the default sends everything to role 3, whose
only instance is a raw NF of one queue (tests/lib/nvtest/rawnf.py): every
burst goes unread, by the core's path that counts the room on the ring and in
the budgets, marks the buffers and writes the descriptors in one pass
(rx_unread() in core/datapath.c). core.nf_buffers = 600, ring_size = 256.

  1. a raw NF in the ports' trust group that hoards (takes every packet and
     every fresh buffer, returns nothing) holds exactly its budget, 600; the
     rest is dropped as nf_budget; the packets it took are exactly those
     counted as given to it (nf_rx). The descriptors it got: in_port 0,
     hash 0, each pointing at the bytes of a frame of the pcap;
  2. it closes; a raw NF that takes nothing gets exactly one ring's worth
     (256 packets), the rest is dropped as nf_ring_full (none as nf_budget:
     it is under its budget);
  3. a second core where role 3 is in its own trust group: the packets reach
     the hoarder as copies (cross_pool_copies), it holds exactly 600, the
     ports' pool keeps its free buffers;
  4. at exit, in both runs: every buffer back (pools whole), and every frame
     received is accounted for: port0_rx == rx_unread + drop_nf_budget +
     drop_nf_ring_full + drop_no_instance (nothing was read, nothing else
     dropped).

tests/fault/budget_read.py runs the same with core.rx_parse = "always": the
frames are read, and a burst for one instance of one queue goes onto its ring
by the path that writes the descriptors straight onto it (one_ring() in
core/datapath.c); there, each descriptor carries its frame's flow hash,
rx_unread stays 0 and the only drops are nf_budget, nf_ring_full and
no_instance.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import NF_RUNNING, RawNf  # noqa: E402

ROLE = 3
NF_BUFFERS = 600
RING = 256
CONFIG = f"""core = {{
  pool_buffers = 4096;
  ring_size = {RING};
  nf_buffers = {NF_BUFFERS};
  rx_parse = "%s";
}};
%s
default = {{ role = {ROLE}; }};
"""
GROUP = f'trust_groups = ( {{ name = "g"; roles = [ {ROLE} ]; }} );'


class RawRole:
    """A raw NF of role 3 with one queue; hoard=True: it takes everything."""

    def __init__(self, sock, hoard):
        self.nf = RawNf(sock, ROLE, nb_queues=1)
        q = self.nf.queues[0]
        self.rings = [rawnf.Ring(self.nf.priv, self.nf.priv_u32, off) for off in (q[0], q[2])]
        self.hoard = hoard
        self.seen = []
        self.taken = 0
        self.nf.set_state(NF_RUNNING)

    def take(self):
        if not self.hoard:
            return
        rx = self.rings[0]
        if len(self.seen) < 64:
            self.seen += rx.peek_all()[:64 - len(self.seen)]
        self.taken += (rx.prod - rx.cons) & 0xffffffff
        for r in self.rings:
            r.cons = r.prod

    def close(self):
        self.rings = []
        self.nf.close()


def attach(chk, env, core, hoard, what):
    try:
        nf = RawRole(core.sock, hoard)
    except (rawnf.AttachError, OSError) as exc:
        chk.fatal(f"{what} attaches", str(exc))
    env.add_cleanup(nf.close)
    return nf


def accounted(chk, final, what, unread):
    """Every frame port 0 received went unread to the NF or was dropped
    (@unread); else rx_unread is 0 and the only drops are those of a full
    budget or ring, or of no instance."""
    parts = {k: final.get(k, 0) for k in ("rx_unread", "drop_nf_budget", "drop_nf_ring_full",
                                           "drop_no_instance")}
    others = {k: v for k, v in final.items()
              if k.startswith("drop_") and k not in parts and v}
    if unread:
        chk.eq(final.get("port0_rx"), sum(parts.values()),
               f"{what}: port0_rx == rx_unread + drop_nf_budget + drop_nf_ring_full + "
               f"drop_no_instance ({parts})")
    else:
        chk.eq(final.get("rx_unread"), 0, f"{what}: no frame went unread (rx_unread 0)")
    chk.eq(others, {}, f"{what}: no other drop")


def hashes_ok(chk, nf, seen, unread, what):
    """The descriptors' flow hashes: 0 unread; read, one per frame's bytes and
    not all 0 (the frames are of 7 flows)."""
    if unread:
        chk.eq(sorted({d.hash for d in seen}), [0], f"{what}: hash 0")
        return
    per = {}
    for d in seen:
        per.setdefault(nf.nf.packet(d), set()).add(d.hash)
    chk.ok(any(h for hs in per.values() for h in hs) and all(len(hs) == 1 for hs in per.values()),
           f"{what}: the flow hash, the same for every copy of a frame",
           str({len(hs) for hs in per.values()}))


def hoards_its_budget(chk, core, nf, unread):
    ok, st = rawnf.take_until(core, [nf], lambda s: s.get("drop_nf_budget", 0) > 0 and
                        s.get(f"nf{nf.nf.nf_id}_held") == NF_BUFFERS and
                        (s.get("rx_unread", 0) > 0) == unread)
    chk.ok(ok, f"it holds exactly core.nf_buffers = {NF_BUFFERS}, the rest is drop_nf_budget, "
           f"the frames go {'unread' if unread else 'read'}",
           f"held {st.get(f'nf{nf.nf.nf_id}_held')}, drop_nf_budget {st.get('drop_nf_budget')}, "
           f"rx_unread {st.get('rx_unread')}")
    rawnf.take_until(core, [nf], lambda s: False, timeout=1.0)
    st = core.stats()
    chk.eq(st.get(f"nf{nf.nf.nf_id}_held"), NF_BUFFERS,
           "a second later it still holds exactly that")
    nf.take()
    chk.eq(nf.taken, st.get(f"nf{nf.nf.nf_id}_rx"),
           "the packets it took are exactly those counted as given to it (nf_rx)")
    return st


def main(name="budget_unread", rx_parse="when_needed", doc=__doc__):
    unread = rx_parse == "when_needed"
    env = nvenv.setup(name, timeout=150, description=doc)
    chk = check.Checker(name)
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])

    gen = traffic.simple_flows(7, ["10.3.0.0/16"], 128)
    frames = [p.frame for p in gen]
    flows = env.path("flows.pcap")
    pcaps.write(flows, frames)
    ports = [f"net_pcap0,rx_pcap={flows},infinite_rx=1", "net_null0,no-rx=1"]

    chk.section("one trust group: a hoarding raw NF")
    core = Core(env, "u", CONFIG % (rx_parse, ""), ports, wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    h = attach(chk, env, core, True, "a hoarding raw NF")
    hoards_its_budget(chk, core, h, unread)
    seen = h.seen
    chk.ok(len(seen) > 0, "it saw descriptors on its rx ring", str(len(seen)))
    chk.eq(sorted({(d.port, d.action, d.arg) for d in seen}), [(0, 0, 0)],
           "each descriptor: in_port 0, action and arg 0")
    hashes_ok(chk, h, seen, unread, "each descriptor")
    known = set(frames)
    bad = [d for d in seen if h.nf.packet(d) not in known]
    chk.eq(bad, [], f"each of the {len(seen)} points at the bytes of a frame of the pcap")
    h.close()
    # until the core has seen it go, it still drops what comes for it as nf_budget
    gone, st = rawnf.take_until(core, [], lambda x: f"nf{h.nf.nf_id}_held" not in x)
    chk.ok(gone, "the core lets the hoarder go", str(st.get(f"nf{h.nf.nf_id}_held")))
    before = st.get("drop_nf_budget", 0)

    chk.section("a raw NF that takes nothing: one ring's worth")
    s = attach(chk, env, core, False, "a raw NF that takes nothing")
    ok, st = rawnf.take_until(core, [s], lambda x: x.get(f"nf{s.nf.nf_id}_rx") == RING and
                        x.get("drop_nf_ring_full", 0) > 0)
    chk.ok(ok, f"it is given exactly {RING} packets (ring_size), the rest is drop_nf_ring_full",
           f"rx {st.get(f'nf{s.nf.nf_id}_rx')}, drop_nf_ring_full {st.get('drop_nf_ring_full')}")
    time.sleep(1.0)
    st = core.stats()
    chk.eq(st.get(f"nf{s.nf.nf_id}_rx"), RING, "a second later still exactly that")
    chk.eq(st.get("drop_nf_budget", 0), before,
           f"none of those drops counted as nf_budget (it holds {RING} of its {NF_BUFFERS})")
    s.close()
    final = core.stop_checked(chk)
    chk.eq(final.get("pool0_free"), final.get("pool0_total"),
           "pool whole at exit (pool0_free == pool0_total)")
    accounted(chk, final, "one trust group", unread)

    chk.section("role 3 in its own trust group: copies into its pool")
    core = Core(env, "g", CONFIG % (rx_parse, GROUP), ports, wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts (trust group 'g')", err or ""):
        env.done(chk)
    h = attach(chk, env, core, True, "a hoarding raw NF in trust group 'g'")
    st = hoards_its_budget(chk, core, h, unread)
    chk.ok(st.get("cross_pool_copies", 0) > 0, "the packets reached it as copies",
           f"cross_pool_copies {st.get('cross_pool_copies')}")
    total = st.get("pool0_total", 0)
    chk.ok(st.get("pool0_free", 0) >= total - 2 * RING,
           "the ports' pool keeps its free buffers",
           f"pool0_free={st.get('pool0_free')} of {total}")
    chk.eq(sorted({d.port for d in h.seen}), [0], "its descriptors: in_port 0")
    hashes_ok(chk, h, h.seen, unread, "its descriptors")
    bad = [d for d in h.seen if h.nf.packet(d) not in known]
    chk.eq(bad, [], "each points at a copy of a frame of the pcap")
    h.close()
    final = core.stop_checked(chk)
    for p in (0, 1):
        chk.eq(final.get(f"pool{p}_free"), final.get(f"pool{p}_total"),
               f"pool {p} whole at exit")
    accounted(chk, final, "trust group 'g'", unread)
    env.done(chk)


if __name__ == "__main__":
    main()
