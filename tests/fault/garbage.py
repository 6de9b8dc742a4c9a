#!/usr/bin/env python3
"""garbage: a raw NF returns bad descriptors; each is counted, nothing breaks or leaks.

The raw NF (tests/lib/nvtest/rawnf.py) attaches as role 3 with the attach
protocol of netvm_abi.h and maps its rings and the pool itself. Port 0
replays a pcap endlessly: dst 10.1/16 to a well-behaved bridge (role 1, out
of port 1, a net_null sink), dst 10.3/16 to the raw NF. Role 2 has a rule
but no NF. The raw NF takes a few packets, then returns, one step at a time:
out-of-range buffer indexes, buffers it does not hold, offsets/lengths past
the buffer, unknown actions, OUT to a missing port, TO_ROLE roles that cannot
take it, NEXT past the end of its chain, one buffer twice in one burst;
then impossible consumer indexes on its rx and alloc rings (counted as
ring_corrupt until it puts them right), published counters with bad names
(left out of its telemetry) or always being rewritten (unreadable), and
finally a producer index far ahead. After each step exactly the expected
drop_<reason> counter must move by the expected amount; the bridge must keep
forwarding throughout; after the raw NF closes its socket the pool must be
whole at shutdown.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import bridged_core  # noqa: E402
from nvtest.rawnf import ACT_DROP, ACT_NEXT, ACT_OUT, ACT_TO_ROLE, RawNf  # noqa: E402
from nvtest.telemetry import drops, nf_keys  # noqa: E402

RAW_ROLE = 3
CONFIG = """core = {
  pool_buffers = 4096;
  ring_size = 256;
};
rules = (
  { dst = "10.1.0.0/16"; role = 1; },
  { dst = "10.2.0.0/16"; role = 2; },
  { dst = "10.3.0.0/16"; role = 3; }
);
default = { action = "drop"; };
"""
TAKE = 24          # packets the raw NF takes out of its rx ring
IGNORED = {"nf_ring_full"}  # moves on its own: the raw NF leaves its ring full


class Steps:
    """Runs garbage steps and checks counter deltas."""

    def __init__(self, chk, core, raw):
        self.chk = chk
        self.core = core
        self.raw = raw
        self.tx_key = f"nf{raw.nf_id}_tx"

    def snapshot(self):
        st = self.core.stats()
        return st, drops(st)

    def run(self, what, descs, expect, alt_expect=None):
        """Send @descs; the drop counters must move exactly by @expect (or @alt_expect).

        Waits for the events themselves: the core counted every descriptor
        in nf<I>_tx and the drop counters moved by as many as expected (or
        the wait ran out), then compares the deltas exactly."""
        st0, d0 = self.snapshot()
        consumed = self.raw.send(descs)
        self.chk.ok(consumed, f"{what}: core consumed the {len(descs)} descriptor(s)",
                    f"tx prod {self.raw.tx.prod}, cons {self.raw.tx.cons}")
        want = [e for e in (expect, alt_expect) if e is not None]
        n_drops = min(sum(e.values()) for e in want)

        def delta_of(d1):
            return {k: d1.get(k, 0) - d0.get(k, 0) for k in set(d0) | set(d1)
                    if k not in IGNORED and d1.get(k, 0) != d0.get(k, 0)}

        def settled(st):
            return (st.get(self.tx_key, 0) - st0.get(self.tx_key, 0) >= len(descs)
                    and sum(delta_of(drops(st)).values()) >= n_drops)

        self.core.tel.wait_for(settled, 10)
        st1, d1 = self.snapshot()
        delta = delta_of(d1)
        self.chk.ok(delta in want, f"{what}: drop counters move by {' or '.join(map(str, want))}",
                    f"moved by {delta}")
        if self.tx_key in st0 and self.tx_key in st1:
            self.chk.eq(st1[self.tx_key] - st0[self.tx_key], len(descs),
                        f"{what}: {self.tx_key} counts the returned descriptors")
        else:
            self.chk.ok(False, f"{what}: {self.tx_key} present",
                        f"keys {nf_keys(st1, self.raw.nf_id)}")
        return st0, st1


def port1_grows(chk, core, what):
    """Check the bridge's port 1 transmits more (waits for it, 10 s at most)."""
    a = core.stats().get("port1_tx")
    ok, st = core.tel.wait_for(lambda s: a is not None and s.get("port1_tx", -1) > a, 10)
    return chk.ok(ok, f"bridge still forwards {what}", f"port1_tx {a} -> {st.get('port1_tx')}")


def main():
    env = nvenv.setup("garbage", timeout=170, description=__doc__)
    chk = check.Checker("garbage")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])

    gen = traffic.simple_flows(21, ["10.1.0.0/16", "10.3.0.0/16"], 64)
    frames = {p.frame for p in gen}
    core, bridge = bridged_core(env, chk, "g", CONFIG, [p.frame for p in gen])

    chk.section("bad hellos are refused")
    for what, kw in (("wrong ABI version", {"version": 99}),
                     ("wrong magic", {"magic": 0x1234}),
                     ("0 queues", {"nb_queues": 0}),
                     ("more queues than NVM_MAX_QUEUES", {"nb_queues": rawnf.MAX_QUEUES + 1}),
                     ("role 300", {"role": 300})):
        args = {"role": RAW_ROLE}
        args.update(kw)
        role = args.pop("role")
        try:
            RawNf(core.sock, role, **args).close()
            chk.ok(False, f"hello with {what} refused", "the core sent the regions")
        except (rawnf.AttachError, OSError) as exc:
            chk.ok(True, f"hello with {what} refused ({exc})")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(core.sock)
        s.sendall(b"\x01\x02\x03")
    st = core.stats()
    chk.ok(core.alive() and st.get("nfs_attached") == 1,
           "core alive, still one NF attached after bad hellos and a cut-off hello",
           f"nfs_attached={st.get('nfs_attached')}")

    chk.section("raw attach")
    raw = rawnf.attach_running(env, chk, core.sock, RAW_ROLE)
    chk.ok(True, f"raw NF attached: nf_id {raw.nf_id}, ring {raw.ring_size}, "
           f"{raw.buf_count} buffers of {raw.buf_stride} bytes, {raw.nb_ports} ports")
    st = core.stats()
    chk.eq(st.get(f"nf{raw.nf_id}_role"), RAW_ROLE, "telemetry lists the raw NF with its role")
    chk.eq(raw.hdr_role, RAW_ROLE, "private header carries the role")
    chk.eq(raw.nb_ports, 2, "pool header lists 2 ports")

    got = raw.receive(TAKE, timeout=10)
    if not chk.eq(len(got), TAKE, f"raw NF receives {TAKE} packets"):
        env.done(chk)
    inside = all(d.buf < raw.buf_count and d.data_off + d.len <= raw.buf_stride for d in got)
    chk.ok(inside, "received descriptors point inside the pool", str(got[:3]))
    same = sum(1 for d in got if raw.packet(d) in frames)
    chk.eq(same, TAKE, "packet bytes read from the mapped pool equal the pcap's frames")
    # the core refills the ring; wait until it is full so 'held' stops moving
    ok, _ = core.tel.wait_for(lambda s: raw.rx.count() == raw.rx.size, 10)
    chk.ok(ok, "the core fills the raw NF's rx ring again", f"{raw.rx.count()} of {raw.rx.size}")
    port1_grows(chk, core, "while the raw NF is attached")

    chk.section("garbage, one kind at a time")
    steps = Steps(chk, core, raw)
    own = list(got)
    # what it holds: what it took, what waits on its rx ring, and the fresh
    # buffers the core stocks its alloc ring with (topped up only when a
    # half burst is free, so stable while it allocates nothing)
    seen = ({d.buf for d in own} | {d.buf for d in raw.rx.peek_all()}
            | {d.buf for d in raw.alloc.peek_all()})
    foreign = next(i for i in range(raw.buf_count) if i not in seen)

    a = own.pop()
    held_key = f"nf{raw.nf_id}_held"
    st0, st1 = steps.run("valid DROP", [a.copy(action=ACT_DROP)], {"nf_drop": 1})
    chk.eq(st1.get(held_key, 0) - st0.get(held_key, 0), -1, f"{held_key} drops by one")
    steps.run("the same buffer returned twice", [a.copy(action=ACT_DROP)], {"not_owned": 1})
    steps.run(f"buffer {foreign} it never held", [a.copy(buf=foreign, action=ACT_DROP)],
              {"not_owned": 1})
    steps.run("buffer index out of range",
              [a.copy(buf=raw.buf_count, action=ACT_DROP),
               a.copy(buf=0xffffffff, action=ACT_DROP)], {"bad_buf": 2})
    b, c = own.pop(), own.pop()
    steps.run("data_off/len past the buffer end",
              [b.copy(data_off=raw.buf_stride - 8, len=64, action=ACT_OUT, port=1),
               c.copy(len=0xffff, action=ACT_OUT, port=1)], {"bad_offset": 2})
    d, e = own.pop(), own.pop()
    steps.run("unknown actions", [d.copy(action=rawnf.ACT_MAX), e.copy(action=200)],
              {"bad_action": 2})
    steps.run("OUT to port 9 (2 ports)", [own.pop().copy(action=ACT_OUT, port=9)],
              {"bad_port": 1})
    steps.run("TO_ROLE 1000 (beyond any role)", [own.pop().copy(action=ACT_TO_ROLE, arg=1000)],
              {"bad_role": 1})
    steps.run("TO_ROLE 0xffff (no role)", [own.pop().copy(action=ACT_TO_ROLE, arg=0xffff)],
              {"bad_role": 1})
    steps.run("TO_ROLE 77 (no rule, no NF)", [own.pop().copy(action=ACT_TO_ROLE, arg=77)],
              {"bad_role": 1}, {"no_instance": 1})
    steps.run("TO_ROLE 2 (rule, no NF attached)", [own.pop().copy(action=ACT_TO_ROLE, arg=2)],
              {"no_instance": 1})
    steps.run("NEXT after the last role of its chain", [own.pop().copy(action=ACT_NEXT)],
              {"chain_end": 1})
    steps.run("valid TO_ROLE 1 (the bridge)", [own.pop().copy(action=ACT_TO_ROLE, arg=1)], {})
    steps.run("valid OUT port 1", [own.pop().copy(action=ACT_OUT, port=1)], {})
    x = own.pop()
    steps.run("one buffer twice in one burst", [x.copy(action=ACT_DROP), x.copy(action=ACT_DROP)],
              {"nf_drop": 1, "not_owned": 1})
    chk.ok(core.alive(), "core alive after the garbage")
    port1_grows(chk, core, "after the garbage")

    chk.section("impossible consumer indexes on the rx and alloc rings")
    for name, ring in (("rx", raw.rx), ("alloc", raw.alloc)):
        cons = ring.cons
        before = core.stats().get("drop_ring_corrupt", 0)
        ring.cons = ring.prod + 1  # more taken than the core ever put there
        ok, st = core.tel.wait_for(lambda s, b=before: s.get("drop_ring_corrupt", 0) > b + 2, 5)
        chk.ok(ok, f"{name} ring: drop_ring_corrupt grows while the index is impossible",
               f"{before} -> {st.get('drop_ring_corrupt')}")
        ring.cons = cons
        settled, seen = core.tel.wait_still("drop_ring_corrupt", window=0.5, timeout=5)
        chk.ok(settled, f"{name} ring: drop_ring_corrupt stops once the index is possible again",
               str(seen))
        chk.ok(core.alive(), f"core alive after an impossible {name} consumer index")
    port1_grows(chk, core, "after the impossible consumer indexes")

    chk.section("published counters the NF lies in")
    names = [b"good_one", b"a.b", b"c-d", b"sp ace", b"", b"x" * 24, b"last"]
    for i, name in enumerate(names):
        struct.pack_into("<24sQ", raw.priv, raw.stats_off + 64 + 32 * i, name, 100 + i)
    struct.pack_into("<II", raw.priv, raw.stats_off, 2, len(names))
    got = core.tel.command(f"/netvm/nf_counters,{raw.nf_id}")
    chk.eq(got, {"good_one": 100, "last": 106},
           "only names of 1..23 characters of [A-Za-z0-9_] are shown")
    struct.pack_into("<II", raw.priv, raw.stats_off, 3, 1 << 20)  # odd: being written
    got = core.tel.command(f"/netvm/nf_counters,{raw.nf_id}")
    chk.eq(got, {"nf_counters_unreadable": 1}, "a table always being written is unreadable")

    chk.section("a raw NF hoarding fresh buffers cannot empty the pool")
    # docs/abi.md: an NF gets no more fresh buffers once it holds what full
    # rings could hold, (2 x ring_size + alloc_ring_size + 128) per queue;
    # ring_size 256 in CONFIG, alloc_ring_size left at its default of 64.
    limit = 2 * 256 + 64 + 128
    # take every fresh buffer offered until the core refuses a refill
    taken = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        taken += len(raw.alloc.dequeue(raw.alloc.size))
        if core.stats().get(f"nf{raw.nf_id}_alloc_capped", 0) > 0:
            break
        time.sleep(0.005)
    taken += len(raw.alloc.dequeue(raw.alloc.size))
    st = core.stats()
    held = st.get(f"nf{raw.nf_id}_held", 0)
    chk.ok(taken > 0, f"the raw NF took {taken} fresh buffers from its alloc ring")
    chk.ok(held <= limit, f"it holds at most {limit} buffers", f"{held_key}={held}")
    chk.ok(st.get(f"nf{raw.nf_id}_alloc_capped", 0) > 0, "the core counted refused refills",
           str(st.get(f"nf{raw.nf_id}_alloc_capped")))
    chk.ok(st.get("pool0_free", 0) > st.get("pool0_total", 0) - limit - 2 * 1024,
           "the pool keeps its free buffers",
           f"pool0_free={st.get('pool0_free')} of {st.get('pool0_total')}")
    port1_grows(chk, core, "while the raw NF hoards")

    chk.section("producer index far ahead")
    before = drops(core.stats()).get("ring_corrupt", 0)
    raw.tx.prod = (raw.tx.cons + 0x80000000) & 0xffffffff
    ok, st = core.tel.wait_for(lambda s: s.get("drop_ring_corrupt", 0) > before, timeout=5)
    chk.ok(ok, "drop_ring_corrupt grows", f"{before} -> {st.get('drop_ring_corrupt')}")
    chk.ok(core.alive(), "core alive after a corrupt ring")
    port1_grows(chk, core, "after the corrupt ring")

    chk.section("raw NF closes its socket")
    raw.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, timeout=10)
    chk.ok(ok, "nfs_attached back to 1", f"nfs_attached={st.get('nfs_attached')}")
    chk.eq(nf_keys(st, raw.nf_id), [], f"nf{raw.nf_id}_* counters gone")
    port1_grows(chk, core, "after the raw NF left")

    chk.section("shutdown")
    core.stop_checked(chk)
    chk.eq(nvenv.pool_files(core.prefix), [], "core removed its pool region file at exit")
    bridge.stop(timeout=10)
    env.done(chk)


if __name__ == "__main__":
    main()
