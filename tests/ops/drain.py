#!/usr/bin/env python3
"""drain: a scale-in while long-lived flows keep sending loses and reorders nothing.

The core sends everything from port 0 to role 1; the manager's policy for
role 1 runs nf_slow (2 ms per packet) as host processes, min 1, max 2,
drain_ms 2500, and the core forgets a flow after 1 s idle. Every frame
carries (flow, sequence number).

  out       many short flows: the role grows to 2 instances
  live      then 16 long-lived flows, each a packet every 100 ms (placed
            while both instances run, so some are on each), and a few new
            short flows: the load falls below in_below, the newest instance
            is drained while its long-lived flows go on sending
  drain     while it drains it takes no new flow (its nf<I>_placed stays)
            and keeps its flows; at drain_ms they are still active, so the
            manager hands them over ("instance handover"): the core moves
            them once the instance has no packet in flight (flows_moved),
            and the manager stops it when it is empty
  loss      every packet sent came out of port 1, none reordered in its flow
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import opslib  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

SLOW_BIN = "tests/functional/nf_slow"
CONFIG = """core = { buffer_size = 4096; ring_size = 4096; flow_idle_ms = 1000; };
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
DRAIN_MS = 2500
LONG = list(range(5000, 5016))  # the long-lived flows
SHORT0 = 10000                   # the short flows begun while draining


def policy(slow):
    return f"""scale = ( {{ role = 1; method = "process";
  command = "{slow} -- --delay-us 2000 --mark 1";
  min = 1; max = 2; out_above = 16; in_below = 4;
  out_hold_ms = 800; in_hold_ms = 1500; cooldown_ms = 500; drain_ms = {DRAIN_MS}; }} );
"""


class Traffic:
    """The long-lived flows, a packet each per 100 ms spread over the
    interval, and @short new flows of 3 packets per round."""

    def __init__(self, rig):
        self.rig = rig
        self.next_short = SHORT0
        self.short = []

    def round(self, new_short):
        """One 100 ms round."""
        t0 = time.monotonic()
        self.short = [f for f in self.short if self.rig.sent[f] < 3]
        self.short += list(range(self.next_short, self.next_short + new_short))
        self.next_short += new_short
        sends = [[f] for f in LONG] + [[f] for f in self.short]
        for i, flows in enumerate(sends):
            self.rig.send(flows)
            time.sleep(max(0.0, t0 + (i + 1) * 0.1 / len(sends) - time.monotonic()))
        self.rig.collect()


def main():
    env = nvenv.setup("drain", timeout=170, description=__doc__)
    chk = check.Checker("drain")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, SLOW_BIN, "manager/netvm-manager",
                                      "manager/netvmctl"])
    rig = opslib.Rig(env, chk, "dr", CONFIG)
    mgr = opslib.manager(env, chk, rig.core, policy(env.binary(SLOW_BIN)))
    ok, p = opslib.wait_pol(mgr, lambda p: p["running"] == 1, 30)
    chk.ok(ok, "min: one instance runs", str(p))

    chk.section("out: two instances under load")
    flow, t0, rnd = 0, time.monotonic(), 0
    while time.monotonic() - t0 < 30 and opslib.pol(mgr).get("running") != 2:
        for _ in range(5):  # 60 new 5-packet flows a second, ~1800 packets/s
            live = [f for f in range(max(0, flow - 60), flow) if rig.sent[f] < 5]
            rig.send(live + list(range(flow, flow + 12)))
            flow += 12
            rnd += 1
            time.sleep(max(0.0, t0 + rnd * 0.03 - time.monotonic()))
        rig.collect()
    heavy = list(range(0, flow))
    while any(rig.sent[f] < 5 for f in heavy):  # finish the flows begun
        rig.send([f for f in heavy if rig.sent[f] < 5])
        time.sleep(0.02)
    p = opslib.pol(mgr)
    if not chk.ok(p.get("running") == 2, "two instances run", str(p)):
        env.done(chk)

    chk.section("live: long-lived flows on both instances, load low: one drains")
    tr = Traffic(rig)
    draining, t0 = None, time.monotonic()
    while draining is None and time.monotonic() - t0 < 30:
        tr.round(2)
        draining = next((u for u in opslib.pol(mgr).get("instances", [])
                         if u["state"] == "draining"), None)
    if not chk.ok(draining is not None, "the load fell: an instance drains", str(opslib.pol(mgr))):
        env.done(chk)
    nf = draining["nf_id"]
    st = rig.core.stats()
    placed0, flows0 = st.get(f"nf{nf}_placed"), st.get(f"nf{nf}_flows", 0)
    chk.eq(st.get(f"nf{nf}_draining"), 1, f"the core drains instance {nf} (nf{nf}_draining)")
    chk.gt(flows0, 0, f"the draining instance has flows ({flows0})")

    chk.section("drain: no new flow on it, its flows go on, handed over at drain_ms, stopped")
    t0, stopped, seen_flows = time.monotonic(), False, []
    while time.monotonic() - t0 < DRAIN_MS / 1000.0 * 3 + 10:
        tr.round(2)
        st = rig.core.stats()
        if st.get(f"nf{nf}_live") == 1:
            seen_flows.append(st.get(f"nf{nf}_flows", 0))
            if st.get(f"nf{nf}_placed") != placed0:
                break
        u = next(u for u in opslib.pol(mgr)["instances"] if u["name"] == draining["name"])
        if u["state"] == "stopped":
            stopped = True
            break
    elapsed = time.monotonic() - t0
    chk.eq(st.get(f"nf{nf}_placed", placed0), placed0,
           f"the draining instance took no new flow (nf{nf}_placed stays {placed0})")
    chk.ok(stopped, f"the drained instance stopped ({elapsed:.1f} s after its drain began)",
           str(opslib.pol(mgr)))
    chk.ok(len(seen_flows) > 0 and min(seen_flows[:3]) > 0,
           "its long-lived flows stayed on it while it drained", str(seen_flows))
    p = opslib.pol(mgr)
    dec = p.get("decisions", [])
    chk.ok(any("handed over" in d for d in dec), "the flows still active at drain_ms were "
           "handed over", str(dec))
    chk.ok(any("drained (its flows handed over" in d for d in dec),
           "the instance stopped once empty", str(dec))
    for _ in range(10):  # the long-lived flows go on, on the remaining instance
        tr.round(1)
    ok, st = rig.through(60)
    chk.ok(ok, "every frame through", rig.missed(st))
    chk.gt(st.get("flows_moved", 0), 0, f"the core moved flows (flows_moved "
           f"{st.get('flows_moved')})")
    chk.eq(len(opslib.alive(p)), 1, "one instance left")

    chk.section("loss: every packet through, in order")
    lost = rig.lost(list(rig.sent))
    chk.ok(not lost, f"0 packets lost in {len(rig.sent)} flows ({sum(rig.sent.values())} "
           f"packets)", f"{list(lost.items())[:5]}; {rig.missed(st)}")
    bad = rig.reordered(list(rig.sent))
    chk.ok(not bad, f"0 flows reordered of {len(rig.sent)}", str(bad[:5]))
    chk.eq(st.get("drop_nf_ring_full", 0) + st.get("drop_no_instance", 0), 0,
           "no drop for a full ring or a missing instance")
    print(f"drain: {sum(rig.sent.values())} packets, {len(rig.sent)} flows, flows_moved "
          f"{st.get('flows_moved')}; decisions: {dec}", flush=True)

    opslib.finish(env, chk, rig, mgr)


if __name__ == "__main__":
    main()
