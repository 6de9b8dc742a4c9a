#!/usr/bin/env python3
"""placement: new flows go to the least-loaded instance; no flow is reordered.

Port 0 receives exactly the frames the test writes (nvtest.inject), all for
role 1; port 1 is captured (nvtest.capture). The instances are nf_slow
(tests/functional/nf_slow.c): each marks the source MAC of what it forwards
with its own byte, so the capture tells which instance carried each packet.
Every frame is UDP carrying (flow number, sequence number) in its payload.

  shift    instance A sleeps 10 ms per packet; one flow of 400 packets sits
           on its ring; then the fast instance B attaches and 64 new flows
           arrive: all 64 are placed on B (nf<B>_placed 64, nf<A>_placed 1),
           where flow hash placement would put about half on A
  add      rounds of one packet per flow; instance C attaches meanwhile: no
           flow moves (nf<C>_placed 0), nothing lost, nothing reordered;
           then 32 new flows spread over the instances, some on C
  remove   rounds go on while B is stopped: B's flows are placed again
           (flows_replaced == the flows B carried), each moves once and is
           never split; the other flows lose nothing; no flow is reordered
"""

import os
import struct
import sys
import threading
import time
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.capture import Capture  # noqa: E402
from nvtest.inject import Injector, drained  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

SLOW_BIN = "tests/functional/nf_slow"
CONFIG = """core = {
  buffer_size = 4096;
  flow_idle_ms = 600000;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
HOG = 0            # the flow that keeps the slow instance busy
HOG_PKTS = 400
SLOW_US = 10000
SHIFT_FLOWS = 64   # flows 1..64
MORE_FLOWS = 32    # flows 65..96
PAYLOAD = 14 + 20 + 8


def frame(flow, seq):
    """Flow @flow's packet number @seq: a UDP frame, 64 bytes of payload."""
    pkt = (Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
           IP(src=f"10.0.{flow >> 8}.{flow & 255}", dst="10.1.0.1") /
           UDP(sport=1000 + flow, dport=2000) /
           (struct.pack("!II", flow, seq) + bytes(56)))
    return bytes(pkt)


def parse(data):
    """(instance mark, flow, seq) of a captured frame, or None."""
    if len(data) < PAYLOAD + 8:
        return None
    flow, seq = struct.unpack_from("!II", data, PAYLOAD)
    return data[11], flow, seq


class Flows:
    """What the test sent per flow, and what came out of port 1."""

    def __init__(self, inj, cap):
        self.inj, self.cap = inj, cap
        self.next = defaultdict(int)
        self.out = defaultdict(list)  # flow -> [(mark, seq)] in output order
        self.lock = threading.Lock()

    def send(self, flows, count=1):
        """@count packets of each of @flows, interleaved round by round."""
        frames = []
        with self.lock:
            for _ in range(count):
                for f in flows:
                    frames.append(frame(f, self.next[f]))
                    self.next[f] += 1
        self.inj.send(frames)

    def collect(self):
        for data in self.cap.take():
            p = parse(data)
            if p is not None:
                self.out[p[1]].append((p[0], p[2]))

    def sent(self):
        return sum(self.next.values())

    def received(self):
        return sum(len(v) for v in self.out.values())


class Rounds:
    """Sends one packet per flow of @flows every @gap seconds from a thread."""

    def __init__(self, flows, which, gap=0.05):
        self.flows, self.which, self.gap = flows, which, gap
        self.stop = threading.Event()
        self.rounds = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            self.flows.send(self.which)
            self.rounds += 1
            time.sleep(self.gap)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def wait_rounds(self, n, timeout=30.0):
        goal = self.rounds + n
        deadline = time.monotonic() + timeout
        while self.rounds < goal and time.monotonic() < deadline:
            time.sleep(0.02)


def wait_out(chk, core, fl, what, timeout=60.0):
    """Wait until port 0 took every frame and port 1 sent them (or they
    were dropped); collect the capture."""
    ok, st = core.tel.wait_for(
        lambda s: drained(0, fl.inj.sent)(s) and
        s.get("port1_tx", 0) + sum(v for k, v in s.items() if k.startswith("drop_"))
        >= fl.inj.sent, timeout)
    chk.ok(ok, f"{what}: every frame sent is through",
           f"port0_rx {st.get('port0_rx')} port1_tx {st.get('port1_tx')} of {fl.inj.sent}")
    time.sleep(0.2)
    fl.collect()
    return st


def order_ok(chk, fl, flows, what):
    """No flow of @flows reordered: sequence numbers strictly increase."""
    bad = [f for f in flows if any(b[1] <= a[1] for a, b in zip(fl.out[f], fl.out[f][1:]))]
    chk.ok(not bad, f"{what}: 0 reordered packets in {len(flows)} flows",
           f"{len(bad)} flows out of order, e.g. flow {bad[:1]}: "
           f"{fl.out[bad[0]][:20] if bad else ''}")


def marks(fl, f):
    """The instance marks of flow @f, in output order, repeats collapsed."""
    out = []
    for m, _ in fl.out[f]:
        if not out or out[-1] != m:
            out.append(m)
    return out


def start_nf(env, chk, core, name, mark, delay_us=0):
    nf = Nf(env, core, SLOW_BIN, 1, ["--delay-us", str(delay_us), "--mark", str(mark)],
            name=name)
    err = nf.start_attached()
    chk.ok(err is None, f"{name} attaches", err or "")
    return nf if err is None else None


def main():
    env = nvenv.setup("placement", timeout=230, description=__doc__)
    chk = check.Checker("placement")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, SLOW_BIN])
    inj = Injector(env)
    out = Injector(env, tag="k")
    cap = Capture(env, out)
    core = Core(env, "placement", CONFIG, [inj.vdev(0), out.vdev(1)])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    chk.ok("placement load" in core.stdout(), "the core says placement is \"load\" by default",
           core.tail(3))
    fl = Flows(inj, cap)

    chk.section("shift: new flows go to the instance whose ring is empty")
    a = start_nf(env, chk, core, "slow-a", 1, SLOW_US)
    if a is None:
        env.done(chk)
    fl.send([HOG], HOG_PKTS)
    ok, st = core.tel.wait_for(drained(0, inj.sent), 10)
    chk.ok(ok, "port 0 took the hog flow", f"port0_rx {st.get('port0_rx')}")
    b = start_nf(env, chk, core, "fast-b", 2)
    if b is None:
        env.done(chk)
    st = core.stats()
    chk.gt(st.get(f"nf{a.id}_load", 0), 0, "the slow instance still has a backlog "
           f"(nf{a.id}_load)")
    shift = list(range(1, 1 + SHIFT_FLOWS))
    fl.send(shift, 4)
    ok, st = core.tel.wait_for(drained(0, inj.sent), 10)
    chk.ok(ok, "port 0 took the new flows", f"port0_rx {st.get('port0_rx')}")
    chk.gt(st.get(f"nf{a.id}_load", 0), 0, "the slow instance had a backlog all along")
    chk.eq(st.get(f"nf{b.id}_placed"), SHIFT_FLOWS,
           f"all {SHIFT_FLOWS} new flows placed on the fast instance (nf{b.id}_placed)")
    chk.eq(st.get(f"nf{a.id}_placed"), 1, f"only the hog flow on the slow one (nf{a.id}_placed)")
    chk.eq(st.get(f"nf{b.id}_flows"), SHIFT_FLOWS, f"nf{b.id}_flows")
    chk.eq(st.get("flows_active"), 1 + SHIFT_FLOWS, "flows_active")
    wait_out(chk, core, fl, "shift")
    chk.eq(fl.received(), fl.sent(), "shift: port 1 sent every packet")
    order_ok(chk, fl, [HOG] + shift, "shift")
    chk.ok(all(marks(fl, f) == [2] for f in shift), "shift: the new flows went through B only",
           str({f: marks(fl, f) for f in shift if marks(fl, f) != [2]}))

    chk.section("add: a third instance mid-traffic moves no flow")
    live = [HOG] + shift
    with Rounds(fl, live) as r:
        r.wait_rounds(3)
        c = start_nf(env, chk, core, "fast-c", 3)
        r.wait_rounds(5)
    if c is None:
        env.done(chk)
    st = wait_out(chk, core, fl, "add")
    chk.eq(st.get(f"nf{c.id}_placed"), 0, f"no existing flow placed on C (nf{c.id}_placed)")
    chk.eq(fl.received(), fl.sent(), "add: port 1 sent every packet")
    order_ok(chk, fl, live, "add")
    moved = [f for f in live if len(marks(fl, f)) != 1]
    chk.ok(not moved, "add: every flow stayed on one instance", str(moved[:5]))
    more = list(range(1 + SHIFT_FLOWS, 1 + SHIFT_FLOWS + MORE_FLOWS))
    placed0 = sum(st.get(f"nf{n.id}_placed", 0) for n in (a, b, c))
    fl.send(more, 2)
    st = wait_out(chk, core, fl, "new flows")
    chk.eq(sum(st.get(f"nf{n.id}_placed", 0) for n in (a, b, c)) - placed0, MORE_FLOWS,
           f"the {MORE_FLOWS} new flows are placed once each")
    chk.gt(st.get(f"nf{c.id}_placed", 0), 0, f"C gets new flows (nf{c.id}_placed)")
    live += more

    chk.section("remove: B's flows are placed again, once, never split")
    on_b = [f for f in live if marks(fl, f) == [2]]
    chk.gt(len(on_b), 0, "B carries flows")
    before = {f: len(fl.out[f]) for f in live}
    with Rounds(fl, live) as r:
        r.wait_rounds(3)
        rc, _ = b.stop_counters()
        chk.eq(rc, 0, "B exits 0 on SIGINT")
        core.tel.wait_for(lambda s: s.get(f"nf{b.id}_live") is None, 10)
        r.wait_rounds(5)
    st = wait_out(chk, core, fl, "remove", timeout=90)
    order_ok(chk, fl, live, "remove")
    chk.eq(st.get("flows_replaced"), len(on_b),
           "flows_replaced: each of B's flows placed again once")
    split = [f for f in on_b if len(marks(fl, f)) != 2 or marks(fl, f)[0] != 2]
    chk.ok(not split, f"remove: each of B's {len(on_b)} flows moved once, from B",
           str({f: marks(fl, f) for f in split[:5]}))
    others = [f for f in live if f not in on_b]
    chk.ok(all(len(marks(fl, f)) == 1 for f in others), "remove: the other flows stayed put")
    lost = {f: fl.next[f] - len(fl.out[f]) for f in others if fl.next[f] != len(fl.out[f])}
    chk.ok(not lost, "remove: the other flows lost nothing", str(lost))
    after = [f for f in on_b if fl.out[f] and fl.out[f][-1][1] != fl.next[f] - 1]
    chk.ok(not after, "remove: B's flows flow again (their last packet came out)",
           str(after[:5]))
    chk.ge(min(len(fl.out[f]) - before[f] for f in live), 1,
           "remove: every flow got packets through during the removal")
    for nf in (a, c):
        rc, _ = nf.stop_counters()
        chk.eq(rc, 0, f"{nf.name} exits 0")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
