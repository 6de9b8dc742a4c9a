#!/usr/bin/env python3
"""hostile_rings: raw NFs that lie with their ring indexes, return buffers from
under the core, bounce packets between them and attach in a loop.

Port 0 replays a pcap endlessly: dst 10.1/16 to a well-behaved bridge (role
1, out of port 1, a net_null sink), dst 10.3/16 to raw NF A (role 3,
tests/lib/nvtest/rawnf.py). What garbage.py leaves out, one step at a time
(docs/abi.md section 5):

  backwards  A's tx producer index moves back behind what the core took:
             ring_corrupt grows, nothing moves; put right, the ring works
  one ring   A's tx producer index jumps exactly one ring ahead without a
             slot written: the core takes the ring's worth once (every
             slot names a buffer past the pool: bad_buf = ring size), never
             more; one past a ring ahead is impossible (ring_corrupt)
  untaken    A returns a buffer still on its alloc ring, and one still on
             its rx ring, before taking them off: the core takes each back
             (nf_drop); returned again, not_owned
  rewritten  a tx slot rewritten after the core took it changes nothing
  bounce     A and B (role 4) hand every packet to each other with TO_ROLE
             for a few seconds: the core lives, the bridge keeps forwarding
  hops       C (role 5) hands a packet it made to B (role 4), B hands it
             back, and so on (neither gets port traffic, so no full ring
             cuts it short): it arrives exactly TO_ROLE_MAX times, then the
             core drops it (hop_limit: 1)
  loop       100 raw NFs attach, take fresh buffers and close: the core's
             descriptors and nfs_attached come back to what they were

The bridge must forward after each step, and the core must exit 0 with
every buffer back in the pool.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import bridged_core  # noqa: E402
from nvtest.rawnf import (ACT_DROP, ACT_TO_ROLE, NF_RUNNING, TO_ROLE_MAX, Desc,  # noqa: E402
                          RawNf)
from nvtest.telemetry import drops  # noqa: E402

RING = 256
CONFIG = f"""core = {{
  pool_buffers = 4096;
  ring_size = {RING};
}};
rules = (
  {{ dst = "10.1.0.0/16"; role = 1; }},
  {{ dst = "10.3.0.0/16"; role = 3; }}
);
default = {{ action = "drop"; }};
"""
BOUNCE_S = 3
LOOPS = 100
WATCHED = ("bad_buf", "not_owned", "nf_drop", "ring_corrupt", "bad_role", "bad_offset")


def port1_grows(chk, core, what):
    """The bridge's port 1 transmits more (waits for it, 10 s at most)."""
    a = core.stats().get("port1_tx")
    ok, st = core.tel.wait_for(lambda s: a is not None and s.get("port1_tx", -1) > a, 10)
    return chk.ok(ok, f"bridge still forwards {what}", f"port1_tx {a} -> {st.get('port1_tx')}")


def watched(st):
    d = drops(st)
    return {k: d.get(k, 0) for k in WATCHED}


def delta(a, b):
    return {k: b[k] - a[k] for k in a if b[k] != a[k]}


def settle(core, raw, want):
    """Wait until the core took everything up to tx index @want and the
    watched drop counters stopped moving; their values."""
    core.tel.wait_for(lambda s: raw.tx.cons == want, 5)
    last = watched(core.stats())
    for _ in range(40):
        time.sleep(0.05)
        now = watched(core.stats())
        if now == last:
            return now
        last = now
    return last


def backwards(chk, core, raw, own):
    chk.section("the tx producer index moves backwards")
    x = own.pop()
    d0 = watched(core.stats())
    chk.ok(raw.send([x.copy(action=ACT_DROP)]), "a valid DROP is taken")
    prod = raw.tx.prod
    d1 = settle(core, raw, prod)
    chk.eq(delta(d0, d1), {"nf_drop": 1}, "it is counted as nf_drop")
    raw.tx.prod = prod - 1  # behind what the core already took
    ok, st = core.tel.wait_for(lambda s: drops(s).get("ring_corrupt", 0) > d1["ring_corrupt"] + 2,
                               5)
    chk.ok(ok, "ring_corrupt grows while the index is behind",
           f"{d1['ring_corrupt']} -> {drops(st).get('ring_corrupt')}")
    chk.eq(raw.tx.cons, prod, "the core's consumer index stays where it was")
    raw.tx.prod = prod
    settled, seen = core.tel.wait_still("drop_ring_corrupt", window=0.5, timeout=5)
    chk.ok(settled, "ring_corrupt stops once the index is right again", str(seen))
    y = own.pop()
    d2 = watched(core.stats())
    chk.ok(raw.send([y.copy(action=ACT_DROP)]), "the ring takes descriptors again")
    chk.eq(delta(d2, settle(core, raw, raw.tx.prod)), {"nf_drop": 1},
           "the next DROP is counted once, as nf_drop")
    port1_grows(chk, core, "after the index moved backwards")


def one_ring(chk, core, raw):
    chk.section("the tx producer index jumps one ring ahead")
    past = Desc(buf=raw.buf_count, action=ACT_DROP)  # no such buffer
    cons = raw.tx.cons
    for i in range(raw.tx.size):
        raw.tx.put_slot(cons + i, past)
    d0 = watched(core.stats())
    raw.tx.prod = cons + raw.tx.size
    d1 = settle(core, raw, (cons + raw.tx.size) & 0xffffffff)
    chk.eq(raw.tx.cons, (cons + raw.tx.size) & 0xffffffff, "the core takes a whole ring")
    chk.eq(delta(d0, d1), {"bad_buf": raw.tx.size},
           f"each of the {raw.tx.size} slots once: bad_buf {raw.tx.size}")
    cons = raw.tx.cons
    raw.tx.prod = cons + raw.tx.size + 1
    ok, st = core.tel.wait_for(lambda s: drops(s).get("ring_corrupt", 0) > d1["ring_corrupt"],
                               5)
    chk.ok(ok, "one slot more than a ring: ring_corrupt",
           f"{d1['ring_corrupt']} -> {drops(st).get('ring_corrupt')}")
    d2 = watched(core.stats())
    chk.eq(raw.tx.cons, cons, "and nothing is taken")
    chk.eq(d2["bad_buf"], d1["bad_buf"], "no slot is read again")
    raw.tx.prod = cons
    core.tel.wait_still("drop_ring_corrupt", window=0.5, timeout=5)
    port1_grows(chk, core, "after the jumps")


def untaken(chk, core, raw):
    chk.section("buffers returned before they were taken off the alloc and rx rings")
    held_key = f"nf{raw.nf_id}_held"
    for name, ring in (("alloc", raw.alloc), ("rx", raw.rx)):
        ok, _ = core.tel.wait_for(lambda s, r=ring: r.count() > 0, 5)
        if not chk.ok(ok, f"its {name} ring holds a buffer"):
            continue
        first = ring.slot(ring.cons)
        st0 = core.stats()
        d0 = watched(st0)
        chk.ok(raw.send([first.copy(action=ACT_DROP)]),
               f"buffer {first.buf}, still on its {name} ring, returned")
        d1 = settle(core, raw, raw.tx.prod)
        chk.eq(delta(d0, d1), {"nf_drop": 1}, "the core takes it back (nf_drop)")
        st1 = core.stats()
        chk.ok(st1.get(held_key, 0) < st0.get(held_key, 0), f"{held_key} goes down",
               f"{st0.get(held_key)} -> {st1.get(held_key)}")
        # the ring is not consumed: the core cannot give the buffer back
        # to this NF meanwhile (no room on the rx ring, too little on the
        # alloc ring for a refill)
        chk.ok(raw.send([first.copy(action=ACT_DROP)]), "returned a second time")
        chk.eq(delta(d1, settle(core, raw, raw.tx.prod)), {"not_owned": 1},
               "the second time: not_owned, nothing freed twice")
        took = ring.dequeue(1)
        chk.ok(len(took) == 1 and took[0].buf == first.buf,
               f"the {name} ring still names it: the NF takes what it already gave back",
               str(took))
    port1_grows(chk, core, "after the early returns")


def rewritten(chk, core, raw, own):
    chk.section("a tx slot rewritten after the core took it")
    x, y = own.pop(), own.pop()
    held_key = f"nf{raw.nf_id}_held"
    slot = raw.tx.prod
    d0 = watched(core.stats())
    chk.ok(raw.send([x.copy(action=ACT_DROP)]), "a DROP is taken")
    d1 = settle(core, raw, raw.tx.prod)
    held = core.stats().get(held_key)
    raw.tx.put_slot(slot, y.copy(action=ACT_DROP))
    time.sleep(0.5)
    d2 = watched(core.stats())
    chk.eq(delta(d0, d2), {"nf_drop": 1}, "only the descriptor the core read counts")
    chk.eq(d2, d1, "the rewrite counts nothing")
    chk.eq(core.stats().get(held_key), held, f"{held_key} unchanged: y is still held")
    chk.ok(raw.send([y.copy(action=ACT_DROP)]), "y returned properly")
    chk.eq(delta(d2, settle(core, raw, raw.tx.prod)), {"nf_drop": 1}, "is taken then")


def bounce(env, chk, core, a):
    chk.section(f"two raw NFs bounce packets to each other with TO_ROLE for {BOUNCE_S} s")
    b = rawnf.attach_running(env, chk, core.sock, 4)
    ok, _ = core.tel.wait_for(lambda s: s.get(f"nf{b.nf_id}_live") == 1, 10)
    chk.ok(ok, "the second raw NF (role 4) runs")
    p0 = core.stats().get("port1_tx", 0)
    bounced = 0
    end = time.monotonic() + BOUNCE_S
    while time.monotonic() < end:
        for me, other in ((a, 4), (b, 3)):
            got = me.rx.dequeue(64)
            if got:
                bounced += me.tx.enqueue([d.copy(action=ACT_TO_ROLE, arg=other) for d in got])
    st = core.stats()
    chk.ok(core.alive(), f"the core lives through {bounced} bounces")
    chk.ok(st.get("port1_tx", 0) > p0, "the bridge forwarded meanwhile",
           f"port1_tx {p0} -> {st.get('port1_tx')}")
    chk.eq(drops(st).get("bad_role", 0), 0, "no TO_ROLE refused: both roles run")
    b.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 2, 10)
    chk.ok(ok, "the second raw NF detaches", f"nfs_attached={st.get('nfs_attached')}")
    port1_grows(chk, core, "after the bounces")


def hops(env, chk, core):
    chk.section(f"one packet handed on with TO_ROLE: {TO_ROLE_MAX} times, then dropped")
    b = rawnf.attach_running(env, chk, core.sock, 4)
    c = rawnf.attach_running(env, chk, core.sock, 5)
    ok, _ = core.tel.wait_for(lambda s: s.get(f"nf{b.nf_id}_live") == 1 and
                              s.get(f"nf{c.nf_id}_live") == 1, 10)
    chk.ok(ok, "raw NFs B (role 4) and C (role 5) run")
    fresh = c.alloc.dequeue(1)
    if not chk.eq(len(fresh), 1, "C takes a fresh buffer off its alloc ring"):
        return
    x = fresh[0].copy(len=60)
    c.write_packet(x, 0, bytes.fromhex("02b0cece0001" "02b0cece0002" "88b5") + bytes(46))
    d0 = drops(core.stats()).get("hop_limit", 0)
    chk.ok(c.send([x.copy(action=ACT_TO_ROLE, arg=4)]), "C hands it to role 4")
    arrived, dropped = 0, d0
    end = time.monotonic() + 20
    while dropped == d0 and time.monotonic() < end:
        for me, other in ((b, 5), (c, 4)):
            got = me.rx.dequeue(64)
            arrived += len(got)
            me.tx.enqueue([d.copy(action=ACT_TO_ROLE, arg=other) for d in got])
        dropped = drops(core.stats()).get("hop_limit", 0)
    chk.eq(dropped - d0, 1, "the hand-over past the limit is dropped as hop_limit")
    chk.eq(arrived, TO_ROLE_MAX, f"it arrived {TO_ROLE_MAX} times, no more")
    chk.eq(b.rx.count() + c.rx.count(), 0, "and is on no ring")
    b.close()
    c.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 2, 10)
    chk.ok(ok, "B and C detach", f"nfs_attached={st.get('nfs_attached')}")


def loop(chk, core):
    chk.section(f"{LOOPS} raw NFs attach, take fresh buffers and close")
    fd_dir = f"/proc/{core.pid}/fd"
    fds0 = len(os.listdir(fd_dir))
    taken = 0
    for i in range(LOOPS):
        try:
            r = RawNf(core.sock, 5)
        except (rawnf.AttachError, OSError) as exc:
            chk.fatal(f"attach {i + 1} of {LOOPS}", str(exc))
        r.set_state(NF_RUNNING)
        if i % 2:
            deadline = time.monotonic() + 1
            while r.alloc.count() == 0 and time.monotonic() < deadline:
                time.sleep(0.002)
            taken += len(r.alloc.dequeue(r.alloc.size))
        r.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 2, 10)
    chk.ok(ok, "only the bridge and raw NF A stay attached",
           f"nfs_attached={st.get('nfs_attached')}")
    chk.ok(taken > 0, f"the NFs took {taken} fresh buffers with them")
    # an NF that closed before the core saw it run is in no count: wait
    # for its descriptors (socket, region, doorbell) to go
    deadline = time.monotonic() + 5
    while len(os.listdir(fd_dir)) > fds0 and time.monotonic() < deadline:
        time.sleep(0.05)
    fds = len(os.listdir(fd_dir))
    chk.ok(fds <= fds0, f"the core holds no more descriptors than before ({fds0})", str(fds))
    port1_grows(chk, core, "after the attach loop")


def main():
    env = nvenv.setup("hostile_rings", timeout=170, description=__doc__)
    chk = check.Checker("hostile_rings")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])

    gen = traffic.simple_flows(21, ["10.1.0.0/16", "10.3.0.0/16"], 64)
    core, bridge = bridged_core(env, chk, "h", CONFIG, [p.frame for p in gen])
    raw = rawnf.attach_running(env, chk, core.sock, 3)
    own = raw.receive(16, timeout=10)
    if not chk.eq(len(own), 16, "raw NF A (role 3) takes 16 packets"):
        env.done(chk)
    ok, _ = core.tel.wait_for(lambda s: raw.rx.count() == raw.rx.size, 10)
    chk.ok(ok, "the core fills its rx ring again")

    backwards(chk, core, raw, own)
    one_ring(chk, core, raw)
    untaken(chk, core, raw)
    rewritten(chk, core, raw, own)
    bounce(env, chk, core, raw)
    hops(env, chk, core)
    loop(chk, core)

    chk.section("shutdown")
    raw.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 10)
    chk.ok(ok, "raw NF A detaches", f"nfs_attached={st.get('nfs_attached')}")
    core.stop_checked(chk)
    bridge.stop(timeout=10)
    env.done(chk)


if __name__ == "__main__":
    main()
