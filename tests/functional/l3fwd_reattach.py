#!/usr/bin/env python3
"""l3fwd_reattach: after a re-attach, l3fwd's next hops are those of the core attached to now.

An l3fwd in a VM that moves to another core engine is parked, finds its
private region replaced and re-attaches; it reads its route file again, for
the new core's port MACs (docs/l3fwd.md). The move is staged on the host as
in firewall_reattach: l3fwd is parked with `park`, the test writes the port
count and port 1's MAC of the core it re-attaches to into the pool header
l3fwd maps (nvtest.regions; the core engine never reads them back), and
marks its private header no longer parked. One l3fwd per case, re-attached
before any packet went through its rings.

  mac       re-attached to a core whose port 1 has another MAC: the routes
            load again, and a frame routed out of port 1 leaves with the
            new MAC as its source
  mac, refused
            the route file has a bad line by then: the re-attach's reload
            fails and the routes in force stay, but their next hops are
            resolved again: the frame leaves with the new MAC, not the old
  fewer, refused
            the same with a core of 1 port: the route out of port 1 goes to
            a port the core lacks, the frame is counted bad_port and nothing
            leaves

Every expected frame and counter below is written by hand.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check, ctl  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Nf  # noqa: E402
from nvtest.rawnf import NF_RUNNING, PRIV_NF_STATE_OFF  # noqa: E402
from nvtest.regions import NB_PORTS_OFF, Regions  # noqa: E402
from nvtest.twoport import TwoPorts  # noqa: E402

CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
HOP = "02:00:00:00:02:02"
ROUTES = f"10.0.2.0/24 1 {HOP}\n"
BAD_ROUTES = ROUTES + "10.0.3.0/33 1\n"
NEW_MAC = bytes.fromhex("02aabbccdd01")
COUNTERS = ("forwarded", "bad_port", "no_route")


def frame(n):
    """A UDP frame into port 0 for 10.0.2.0/24 (out of port 1), TTL 64."""
    raw = bytes(Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") /
                IP(src="10.0.1.2", dst="10.0.2.80", ttl=64) / UDP(sport=n, dport=53) /
                b"l3fwd_reattach")
    return raw + b"\0" * max(0, 60 - len(raw))


def forwarded(raw, src_mac):
    """@raw as l3fwd sends it out of a port whose MAC is @src_mac: TTL - 1."""
    pkt = Ether(raw)
    pkt.dst, pkt.src = HOP, src_mac
    pkt[IP].ttl -= 1
    del pkt[IP].chksum
    return bytes(pkt)


def count(nf, needle):
    return sum(needle in line for line in nf.stderr().splitlines())


def wait_count(nf, needle, n, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(nf, needle) >= n:
            return True
        time.sleep(0.05)
    return False


def case(env, chk, rig, nv, name, routes_after, nb_ports, sport):
    """An l3fwd attached to the core's 2 ports, its route file then made
    @routes_after, re-attached to a core of @nb_ports ports whose port 1 has
    NEW_MAC; a frame into port 0. (l3fwd, its counters, what left port 1), or None."""
    chk.section(f"{name}: re-attached to {nb_ports} port(s), port 1 with another MAC")
    routes = env.path(f"{name}.routes")
    with open(routes, "w") as f:
        f.write(ROUTES)
    nf = Nf(env, rig.core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes],
            name=f"l3fwd-{name}")
    err = nf.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        return None
    regs = Regions(nf.pid)
    if not chk.ok(regs.pool is not None and regs.priv is not None,
                  "its pool and private regions found in its mappings"):
        nf.stop()
        return None
    old_mac = regs.read(regs.port_mac_addr(1), 6)
    with open(routes, "w") as f:
        f.write(routes_after)
    rc, out, err = nv(["nf", "cmd", str(nf.id), "park"])
    if not chk.ok(rc == 0 and "parked" in out, "park", f"rc={rc} {out} {err}"):
        nf.stop()
        return None
    regs.write_u32(regs.pool + NB_PORTS_OFF, nb_ports)
    regs.write(regs.port_mac_addr(1), NEW_MAC)
    regs.write_u32(regs.priv + PRIV_NF_STATE_OFF, NF_RUNNING)
    chk.ok(wait_count(nf, "re-attached as instance", 1) and
           wait_count(nf, "re-attach: reload", 1),
           "l3fwd re-attaches and reads its route file again", nf.tail(8))
    raw = frame(sport)
    rig.send(0, [raw], "a frame into port 0")
    got = rig.captured([0, 1 if nb_ports > 1 else 0])
    # as the core made them; read at re-attach only
    regs.write_u32(regs.pool + NB_PORTS_OFF, 2)
    regs.write(regs.port_mac_addr(1), old_mac)
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "l3fwd exits 0 on SIGINT")
    chk.eq(got[0], [], "nothing leaves by port 0")
    return nf, {k: counters.get(k) for k in COUNTERS}, got[1], raw


def main():
    env = nvenv.setup("l3fwd_reattach", timeout=150, description=__doc__)
    chk = check.Checker("l3fwd_reattach")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN, "manager/netvmctl"])
    rig = TwoPorts(env, chk, "lr", CONFIG)
    err = rig.core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)

    def nv(args):
        return ctl.netvmctl(env, ["-c", rig.core.sock] + args)

    new_mac = ":".join(f"{b:02x}" for b in NEW_MAC)
    res = case(env, chk, rig, nv, "mac", ROUTES, 2, 40001)
    if res is not None:
        nf, counters, out1, raw = res
        chk.eq(count(nf, "re-attach: reloaded"), 1, "the routes load again")
        chk.eq(out1, [forwarded(raw, new_mac)],
               "the frame leaves by port 1 with port 1's new MAC as its source")
        chk.eq(counters, {"forwarded": 1, "bad_port": 0, "no_route": 0}, "counted forwarded")
    res = case(env, chk, rig, nv, "mac-refused", BAD_ROUTES, 2, 40002)
    if res is not None:
        nf, counters, out1, raw = res
        chk.ok(count(nf, "re-attach: reload failed") == 1 and
               count(nf, "mac-refused.routes:2: bad prefix '10.0.3.0/33'") == 1,
               "the re-attach's reload fails: mac-refused.routes:2 names the bad prefix",
               nf.tail(6))
        chk.eq(out1, [forwarded(raw, new_mac)],
               "the routes in force stay; the frame leaves by port 1 with port 1's new MAC "
               "as its source, not the old core's")
        chk.eq(counters, {"forwarded": 1, "bad_port": 0, "no_route": 0}, "counted forwarded")
    res = case(env, chk, rig, nv, "fewer-refused", BAD_ROUTES, 1, 40003)
    if res is not None:
        nf, counters, out1, raw = res
        chk.eq(count(nf, "re-attach: reload failed"), 1, "the re-attach's reload fails")
        chk.eq(out1, [], "nothing leaves by port 1: not a port of the core attached to now")
        chk.eq(counters, {"forwarded": 0, "bad_port": 1, "no_route": 0},
               "the route in force goes to a port the core lacks: bad_port")

    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
