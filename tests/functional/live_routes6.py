#!/usr/bin/env python3
"""live_routes6: IPv6 routes added to and deleted from a running l3fwd (LPM
mode), live_routes' IPv6 twin.

Port 0 receives exactly the frames the test writes into it (nvtest.inject),
every packet to role 1, netvm-l3fwd; ports 1 and 2 are net_null sinks. The
frames are IPv6 UDP to 2001:db8:1::/48 (A), 2001:db8:2:0::/64 (B) and
2001:db8:2:8000::/49 (C); the start-up routes (IPv4 and IPv6 in one file)
send 2001:db8:1::/48 and 2001:db8:2::/48 out of port 1.

  one route   `routes add 2001:db8:2::/64 2` moves exactly the B frames to
              port 2, `routes replace` to port 1 and `routes del` move them
              back; `routes show` (an address, a prefix) and `routes list`
              (IPv4 first, then IPv6) say what the test added
  refused     /129, host bits, a bad address, an unknown port, a route
              already there, a '#' in a word of `routes add`, a del of a
              missing route: exit 1 with the reason, `routes list` and the
              traffic unchanged

Which port a frame must leave by comes from the test's own prefix matching
(Python's ipaddress), never from l3fwd.
"""

import ipaddress
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check, ctl, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector, sent_through  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
HOP = "02:00:00:00:02:02"
ROUTES = (f"10.1.0.0/16 1 {HOP}\n2001:db8:1::/48 1 {HOP}\n"
          f"2001:db8:2::/48 1 {HOP}\n")
NETS = ["2001:db8:1::/48", "2001:db8:2::/64", "2001:db8:2:8000::/49"]
MORE_SPECIFIC = "2001:db8:2::/64"


def frames6(seed, n=96):
    """@n IPv6/UDP frames spread over NETS, hop limit 64."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        dst = traffic.random_addr(rng, NETS[i % len(NETS)])
        out.append(bytes(Ether(src=traffic.IN_SRC_MAC, dst=traffic.IN_DST_MAC) /
                         IPv6(src="2001:db8:ff::1", dst=dst, hlim=64) /
                         UDP(sport=1000 + i, dport=53) / (b"q" * 40)))
    return out


def expected_ports(frames, routes):
    """Port each frame must leave by, by the test's own longest match over @routes."""
    out = []
    for f in frames:
        dst = ipaddress.IPv6Address(Ether(f)[IPv6].dst)
        best = None
        for net, port in routes.items():
            if dst in net and (best is None or net.prefixlen > best[0].prefixlen):
                best = (net, port)
        out.append(best[1] if best else None)
    return (out.count(1), out.count(2), out.count(None))


def one_route(chk, rc_, core, inj, frames):
    chk.section("routes add / del of a more specific IPv6 prefix")
    base = {ipaddress.ip_network("2001:db8:1::/48"): 1,
            ipaddress.ip_network("2001:db8:2::/48"): 1}
    more = dict(base)
    more[ipaddress.ip_network(MORE_SPECIFIC)] = 2
    want_base, want_more = expected_ports(frames, base), expected_ports(frames, more)
    chk.ok(want_more[1] > 0 and want_more[0] > 0, "the frames cover both cases", str(want_more))
    chk.eq(sent_through(chk, core, inj, frames, "start-up routes"), want_base,
           "start-up: every IPv6 frame out of port 1")
    rc, out, err = rc_("add", MORE_SPECIFIC, "2")
    chk.ok(rc == 0 and f"added {MORE_SPECIFIC} 2 02:00:00:00:00:02" in out,
           f"routes add {MORE_SPECIFIC} 2: exit 0, says what it added", f"rc={rc} {out} {err}")
    chk.eq(sent_through(chk, core, inj, frames, "after routes add"), want_more,
           f"exactly the {want_more[1]} frames to {MORE_SPECIFIC} leave by port 2")
    rc, out, err = rc_("show", "2001:db8:2::77")
    chk.ok(rc == 0 and out.strip() == f"2001:db8:2::77 via {MORE_SPECIFIC} 2 02:00:00:00:00:02",
           "routes show 2001:db8:2::77: the /64, port 2", f"rc={rc} {out!r} {err}")
    rc, out, err = rc_("show", "2001:db8:2:1::77")
    chk.ok(rc == 0 and out.strip() == f"2001:db8:2:1::77 via 2001:db8:2::/48 1 {HOP}",
           "routes show 2001:db8:2:1::77: the /48, port 1", f"rc={rc} {out!r} {err}")
    rc, out, err = rc_("show", "2001:db8:2::/48")
    chk.ok(rc == 0 and out.strip() == f"2001:db8:2::/48 1 {HOP}",
           "routes show 2001:db8:2::/48: that route", f"rc={rc} {out!r} {err}")
    rc, out, err = rc_("show", "2001:db9::1")
    chk.ok(rc == 1 and "no route" in err, "routes show 2001:db9::1: no route, exit 1",
           f"rc={rc} {out} {err}")
    rc, out, err = rc_("list")
    chk.eq(out.splitlines(), [f"10.1.0.0/16 1 {HOP}", f"2001:db8:1::/48 1 {HOP}",
                              f"2001:db8:2::/48 1 {HOP}", f"{MORE_SPECIFIC} 2 02:00:00:00:00:02"],
           "routes list: IPv4 then IPv6, sorted, in the route-file format")
    rc, out, err = rc_("replace", MORE_SPECIFIC, "1", HOP)
    chk.ok(rc == 0 and out.strip() == f"replaced {MORE_SPECIFIC} 2 02:00:00:00:00:02 by "
           f"{MORE_SPECIFIC} 1 {HOP}", f"routes replace {MORE_SPECIFIC} 1: exit 0",
           f"rc={rc} {out!r} {err}")
    chk.eq(sent_through(chk, core, inj, frames, "after routes replace"), want_base,
           "the frames to it leave by port 1 again")
    rc, out, err = rc_("replace", "2001:db8:9::/48", "1")
    chk.ok(rc == 1 and "no route" in err, "routes replace of a missing prefix: exit 1",
           f"rc={rc} {out} {err}")
    rc, out, err = rc_("del", MORE_SPECIFIC)
    chk.ok(rc == 0 and f"deleted {MORE_SPECIFIC}" in out, f"routes del {MORE_SPECIFIC}: exit 0",
           f"rc={rc} {out} {err}")
    chk.eq(sent_through(chk, core, inj, frames, "after routes del"), want_base,
           "the frames to it are back on port 1")
    return want_base


def refused(chk, rc_, core, inj, frames, want_base):
    chk.section("bad IPv6 commands are refused, the table stays")
    rc, before, err = rc_("list")
    chk.eq(rc, 0, "routes list before")
    for words, why, text in (
            (("add", "2001:db8:3::/129", "1"), "a bad prefix length", "bad prefix"),
            (("add", "2001:db8:::/48", "1"), "a bad address", "bad prefix"),
            (("add", "2001:db8:3::1/48", "1"), "host bits set", "did you mean 2001:db8:3::/48"),
            (("add", "2001:db8:3::/48", "7"), "a port the core does not have", "has 3 port"),
            (("add", "2001:db8:2::/48", "2"), "a route already there", "already"),
            (("add", "#2001:db8:3::/48", "1"), "a comment for a prefix", "unexpected '#"),
            (("add", "2001:db8:3::/48", "1", "#02:00:00:00:00:03"), "a comment for a MAC",
             "unexpected '#02:00:00:00:00:03'"),
            (("add", "2001:db8:3::/48", "1#"), "a comment in the port", "unexpected '1#'"),
            (("add", "\v", "\f"), "words of white space alone", "usage"),
            (("del", "2001:db8:9::/48"), "a del of a missing route", "no route"),
            (("show", "2001:zz::1"), "a bad address to show", "bad address")):
        rc, out, err = rc_(*words)
        chk.ok(rc == 1 and text in err, f"routes {' '.join(words)}: {why}, exit 1",
               f"rc={rc} out={out!r} err={err!r}")
    rc, after, err = rc_("list")
    chk.eq(after, before, "routes list after: unchanged")
    chk.eq(sent_through(chk, core, inj, frames, "after the refused commands"), want_base,
           "the traffic goes as before")


def main():
    env = nvenv.setup("live_routes6", timeout=200, description=__doc__)
    chk = check.Checker("live_routes6")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    frames = frames6(16)
    inj = Injector(env)
    core = Core(env, "lr6", CONFIG, [inj.vdev(0), "net_null0,no-rx=1", "net_null1,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    routes = env.path("routes6.txt")
    with open(routes, "w") as f:
        f.write(ROUTES)
    nf = Nf(env, core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], name="l3fwd")
    err = nf.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        env.done(chk)

    def rc_(*words):
        return ctl.netvmctl(env, ["-c", core.sock, "nf", "cmd", str(nf.id), "routes"] +
                            list(words), timeout=60)

    want_base = one_route(chk, rc_, core, inj, frames)
    refused(chk, rc_, core, inj, frames, want_base)
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "l3fwd exits 0")
    chk.eq(counters.get("forwarded"), 5 * len(frames), "l3fwd forwarded every frame (5 sends)")
    chk.eq(counters.get("no_route"), 0, "l3fwd counted no no_route")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
