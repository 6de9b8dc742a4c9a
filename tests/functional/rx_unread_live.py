#!/usr/bin/env python3
"""rx_unread_live: with core.rx_parse = "when_needed", whether a burst goes unread
follows the running system, burst by burst.

Port 0 receives exactly the frames the test writes (nvtest.inject), among them
malformed IPv4 frames; the default sends them to role 1 (netvm-bridge). Each
step sends the same frames and reads the core's counters: unread, every frame
counts in rx_unread and none in drop_malformed; read, none in rx_unread and the
malformed ones in drop_malformed.

  start       one instance, no rule, no DoS limit: unread
  dos         `dos set src_pps N`: the detector needs the sources: read;
              `dos set src_pps 0`: unread again (the same with syn_pps)
  rule        `rule add` of a rule on the protocol: read; a rule on the
              input port alone: unread; `rule del`: unread
  instances   a second bridge attaches to role 1: read (the flow hash picks
              the instance); it stops: unread again
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, ctl, model, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector, drained  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import drops  # noqa: E402

CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
  rx_parse = "when_needed";
};
default = { role = 1; };
"""


class Steps:
    """The core, its first bridge, the frames and how many are malformed."""

    def __init__(self, env, chk, core, inj, frames, malformed):
        self.env, self.chk, self.core, self.inj = env, chk, core, inj
        self.frames, self.malformed = frames, malformed

    def nv(self, *args):
        rc, out, err = ctl.netvmctl(self.env, ["-c", self.core.sock] + list(args))
        self.chk.ok(rc == 0, f"netvmctl {' '.join(args)}: exit 0", f"rc {rc} {out!r} {err!r}")

    def send(self, unread, what):
        """Send the frames; check they went unread (@unread) or were read."""
        st0 = self.core.stats()
        self.inj.send(self.frames)
        ok, st = self.core.tel.wait_for(
            lambda s: drained(0, self.inj.sent)(s) and
            s.get("port1_tx", 0) + s.get("port0_tx", 0) + sum(drops(s).values())
            >= s.get("port0_rx", 0), 10)
        n = len(self.frames)
        self.chk.ok(ok, f"{what}: the {n} frames are through",
                    f"port0_rx {st.get('port0_rx')} of {self.inj.sent} sent")
        d = {k: st.get(k, 0) - st0.get(k, 0) for k in ("rx_unread", "drop_malformed")}
        want = ({"rx_unread": n, "drop_malformed": 0} if unread else
                {"rx_unread": 0, "drop_malformed": self.malformed})
        self.chk.eq(d, want, f"{what}: " + ("unread: every frame in rx_unread, none dropped "
                                             "as malformed" if unread else
                                             "read: the malformed frames dropped at RX"))


def main():
    env = nvenv.setup("rx_unread_live", timeout=150, description=__doc__)
    chk = check.Checker("rx_unread_live")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, "manager/netvmctl"])
    frames = [bytes(p.frame) for p in traffic.mixed_traffic(seed=5)][:200]
    inj = Injector(env)
    core = Core(env, "ul", CONFIG, [inj.vdev(0), "net_null0,no-rx=1"], lcores="0",
                single_lcore=True)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    macs = {p: mac for p, (_drv, mac) in core.port_macs().items()}
    table = model.LpmTable(traffic.LPM_ROUTES)
    malformed = sum(model.l3fwd(f, table, macs)[0] == "malformed" for f in frames)
    chk.gt(malformed, 0, f"the frames hold malformed ones ({malformed} of {len(frames)})")
    first = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-a")
    err = first.start_attached()
    if not chk.ok(err is None, "bridge-a attaches", err or ""):
        env.done(chk)
    t = Steps(env, chk, core, inj, frames, malformed)

    chk.section("start")
    t.send(True, "one instance, no rule")

    chk.section("dos")
    t.nv("dos", "set", "src_pps", "1000000")
    t.send(False, "src_pps set")
    t.nv("dos", "set", "src_pps", "0")
    t.send(True, "src_pps 0 again")
    t.nv("dos", "set", "syn_pps", "1000000")
    t.send(False, "syn_pps set")
    t.nv("dos", "set", "syn_pps", "0")
    t.send(True, "syn_pps 0 again")

    chk.section("rule")
    t.nv("rule", "add", "0", '{ proto = "udp"; role = 1; }')
    t.send(False, "a rule on the protocol")
    t.nv("rule", "del", "0")
    t.nv("rule", "add", "0", "{ in_port = 0; role = 1; }")
    t.send(True, "a rule on the input port alone")
    t.nv("rule", "del", "0")
    t.send(True, "no rule again")

    chk.section("instances")
    second = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-b")
    err = second.start_attached()
    if chk.ok(err is None, "bridge-b attaches to role 1", err or ""):
        t.send(False, "two instances of role 1")
        rc, _ = second.stop_counters()
        chk.eq(rc, 0, "bridge-b exits 0")
        # printed once the datapath's view without it is in force
        gone = f"nf {second.id} detached"
        deadline = time.monotonic() + 10
        while gone not in core.stdout() and time.monotonic() < deadline:
            time.sleep(0.05)
        chk.ok(gone in core.stdout(), f"the core says '{gone}'")
        t.send(True, "one instance again")
    rc, _ = first.stop_counters()
    chk.eq(rc, 0, "bridge-a exits 0")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
