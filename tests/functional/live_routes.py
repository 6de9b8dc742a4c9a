#!/usr/bin/env python3
"""live_routes: routes added to and deleted from a running l3fwd (LPM mode),
one at a time and as a 200 000-route table, while traffic flows.

Port 0 receives exactly the frames the test writes into it (nvtest.inject),
every packet to role 1, netvm-l3fwd; ports 1 and 2 are net_null sinks. The
frames go to three networks: 10.1/16 (A), 10.2.0/24 (B) and 10.2.128/17
(C); the start-up routes send 10.1/16 and 10.2/16 out of port 1.

  one route   `routes add 10.2.0.0/24 2` moves exactly the B frames to port
              2, `routes replace` moves them to port 1 and back, `routes
              del` moves them back; `routes show` and `routes list` say
              what the test added
  refused     a bad prefix, host bits, an unknown port, a port out of range,
              a route already there, a del of a missing route: exit 1 with
              the reason, `routes list` and the traffic unchanged
  150 changes while a thread sends frames in a closed loop (adds, dels and
              replaces of 10.1/16's next hop, which has no shorter prefix
              under it): every frame port 0 received left by port 1 or 2,
              none dropped
  200 000     a 200 000-route table (public BGP-like prefix lengths, none
              inside 10/8) through `netvmctl -f FILE nf cmd ID routes
              load` while the thread sends: nothing lost; its load time is
              printed; a `routes add`/`del` on the full table after it

Which port a frame must leave by comes from the test's own prefix matching
(Python's ipaddress) of the frames it built, never from l3fwd.
"""

import ipaddress
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check, ctl, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.closedloop import Sender  # noqa: E402
from nvtest.inject import Injector, drained, sent_through  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import drops  # noqa: E402

CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
HOP = "02:00:00:00:02:02"
ROUTES = f"10.1.0.0/16 1 {HOP}\n10.2.0.0/16 1 {HOP}\n"
NETS = ["10.1.0.0/16", "10.2.0.0/24", "10.2.128.0/17"]
MORE_SPECIFIC = "10.2.0.0/24"
CHANGES = 100
BIG = 200000

# Share of each prefix length in a public IPv4 BGP table (about 950 000
# prefixes in 2023, the CIDR Report / routeviews figures rounded): /24 about
# 60 %, /22-/23 about 23 %, /16-/21 about 16 %, shorter and longer few.
BGP_LENGTHS = {8: 2, 9: 2, 10: 4, 11: 10, 12: 30, 13: 60, 14: 110, 15: 190, 16: 1400,
               17: 850, 18: 1450, 19: 2650, 20: 4300, 21: 5100, 22: 12500, 23: 10300,
               24: 60000, 25: 130, 26: 130, 27: 130, 28: 130, 29: 130, 30: 130, 31: 130,
               32: 130}


def big_table(n, seed=200):
    """@n distinct random prefixes with BGP-like lengths, none overlapping 10/8,
    out of ports 1 and 2, plus the two routes of the traffic; the file's text."""
    rng = random.Random(seed)
    lengths = list(BGP_LENGTHS)
    weights = [BGP_LENGTHS[d] for d in lengths]
    seen = set()
    lines = [ROUTES]
    depths = rng.choices(lengths, weights, k=n * 2)
    for d in depths:
        if len(seen) == n:
            break
        addr = rng.getrandbits(32) & (0xffffffff << (32 - d)) & 0xffffffff
        if (addr >> 24) == 10 or (d < 8 and (10 << 24) >> (32 - d) == addr >> (32 - d)):
            continue
        if (addr, d) in seen:
            continue
        seen.add((addr, d))
        lines.append(f"{ipaddress.IPv4Address(addr)}/{d} {1 + (addr >> 8 & 1)}\n")
    return "".join(lines), len(seen) + 2


def expected_ports(frames, routes):
    """Port each frame must leave by: longest match of its destination in @routes
    ({IPv4Network: port}), by hand; None for no route."""
    out = []
    for f in frames:
        dst = ipaddress.IPv4Address(Ether(f)[IP].dst)
        best = None
        for net, port in routes.items():
            if dst in net and (best is None or net.prefixlen > best[0].prefixlen):
                best = (net, port)
        out.append(best[1] if best else None)
    return out


def counts(ports):
    return (ports.count(1), ports.count(2), ports.count(None))


class L3fwdCtl:
    """`netvmctl nf cmd ID routes ...` for the l3fwd under test."""

    def __init__(self, env, core, nf):
        self.env, self.core, self.nf = env, core, nf

    def __call__(self, *words, opts=(), timeout=60):
        return ctl.netvmctl(self.env, ["-c", self.core.sock] + list(opts) +
                            ["nf", "cmd", str(self.nf.id), "routes"] + list(words),
                            timeout=timeout)


def one_route(chk, rc_, core, inj, frames):
    chk.section("routes add / del of a more specific prefix")
    base = {ipaddress.ip_network("10.1.0.0/16"): 1, ipaddress.ip_network("10.2.0.0/16"): 1}
    more = dict(base)
    more[ipaddress.ip_network(MORE_SPECIFIC)] = 2
    want_base, want_more = counts(expected_ports(frames, base)), \
        counts(expected_ports(frames, more))
    chk.ok(want_more[1] > 0 and want_more[0] > 0, "the frames cover both cases",
           str(want_more))
    got = sent_through(chk, core, inj, frames, "start-up routes")
    chk.eq(got, want_base, "start-up: every frame out of port 1")

    rc, out, err = rc_("add", MORE_SPECIFIC, "2")
    chk.ok(rc == 0 and f"added {MORE_SPECIFIC} 2 02:00:00:00:00:02" in out,
           f"routes add {MORE_SPECIFIC} 2: exit 0, says what it added", f"rc={rc} {out} {err}")
    got = sent_through(chk, core, inj, frames, "after routes add")
    chk.eq(got, want_more, f"exactly the {want_more[1]} frames to {MORE_SPECIFIC} "
           "leave by port 2")
    rc, out, err = rc_("show", "10.2.0.77")
    chk.ok(rc == 0 and out.strip() == f"10.2.0.77 via {MORE_SPECIFIC} 2 02:00:00:00:00:02",
           "routes show 10.2.0.77: the /24, port 2", f"rc={rc} {out!r} {err}")
    rc, out, err = rc_("show", "10.2.1.77")
    chk.ok(rc == 0 and out.strip() == f"10.2.1.77 via 10.2.0.0/16 1 {HOP}",
           "routes show 10.2.1.77: the /16, port 1", f"rc={rc} {out!r} {err}")
    rc, out, err = rc_("show", "192.0.2.1")
    chk.ok(rc == 1 and "no route" in err, "routes show 192.0.2.1: no route, exit 1",
           f"rc={rc} {out} {err}")
    rc, out, err = rc_("list")
    chk.eq(out.splitlines(), [f"10.1.0.0/16 1 {HOP}", f"10.2.0.0/16 1 {HOP}",
                              f"{MORE_SPECIFIC} 2 02:00:00:00:00:02"],
           "routes list: the three routes, sorted, in the route-file format")

    rc, out, err = rc_("replace", MORE_SPECIFIC, "1", HOP)
    chk.ok(rc == 0 and out.strip() == f"replaced {MORE_SPECIFIC} 2 02:00:00:00:00:02 by "
           f"{MORE_SPECIFIC} 1 {HOP}", f"routes replace {MORE_SPECIFIC} 1: exit 0, says "
           "what it replaced by what", f"rc={rc} {out!r} {err}")
    got = sent_through(chk, core, inj, frames, "after routes replace")
    chk.eq(got, want_base, "the frames to it leave by port 1 again")
    rc, out, err = rc_("show", MORE_SPECIFIC)
    chk.ok(rc == 0 and out.strip() == f"{MORE_SPECIFIC} 1 {HOP}",
           f"routes show {MORE_SPECIFIC}: the same prefix, the new next hop",
           f"rc={rc} {out!r} {err}")
    rc, out, err = rc_("replace", MORE_SPECIFIC, "2")
    chk.eq(rc, 0, f"routes replace {MORE_SPECIFIC} 2: exit 0")
    got = sent_through(chk, core, inj, frames, "after the second routes replace")
    chk.eq(got, want_more, "and by port 2 after the second")

    rc, out, err = rc_("del", MORE_SPECIFIC)
    chk.ok(rc == 0 and f"deleted {MORE_SPECIFIC}" in out, f"routes del {MORE_SPECIFIC}: exit 0",
           f"rc={rc} {out} {err}")
    got = sent_through(chk, core, inj, frames, "after routes del")
    chk.eq(got, want_base, "the frames to it are back on port 1")
    return want_base


def refused(chk, rc_, core, inj, frames, want_base):
    chk.section("bad commands are refused, the table stays")
    rc, before, err = rc_("list")
    chk.eq(rc, 0, "routes list before")
    for words, why, text in (
            (("add", "10.3.0.0/33", "1"), "a bad prefix length", "bad prefix"),
            (("add", "10.3.0.300/16", "1"), "a bad address", "bad prefix"),
            (("add", "10.3.0.1/16", "1"), "host bits set", "host bits set"),
            (("add", "10.3.0.0/16", "7"), "a port the core does not have", "has 3 port"),
            (("add", "10.3.0.0/16", "32"), "a port out of range", "bad port"),
            (("add", "10.3.0.0/16", "1", "02:00:00"), "a bad MAC", "bad MAC"),
            (("add", "10.2.0.0/16", "2"), "a route already there", "already"),
            (("add", "10.3.0.0/16"), "no port", "usage"),
            (("del", "10.9.0.0/16"), "a del of a missing route", "no route"),
            (("replace", "10.9.0.0/16", "1"), "a replace of a missing route", "no route"),
            (("replace", "10.2.0.0/16", "7"), "a replace to a port the core does not have",
             "has 3 port"),
            (("replace", "10.2.0.0/16", "1", "#02:00:00:00:00:03"), "a comment in a replace",
             "unexpected '#02:00:00:00:00:03'"),
            (("del", "10.2.0.0/33"), "a del of a bad prefix", "bad prefix"),
            (("frob",), "an unknown routes command", "usage")):
        rc, out, err = rc_(*words)
        chk.ok(rc == 1 and text in err, f"routes {' '.join(words)}: {why}, exit 1",
               f"rc={rc} out={out!r} err={err!r}")
    rc, after, err = rc_("list")
    chk.eq(after, before, "routes list after: unchanged")
    got = sent_through(chk, core, inj, frames, "after the refused commands")
    chk.eq(got, want_base, "the traffic goes as before")


def changes_under_traffic(chk, rc_, core, inj, frames):
    chk.section(f"{CHANGES // 4 * 6} changes while traffic flows")
    st0 = core.stats()
    failed = []
    with Sender(core, inj, frames, out_ports=(1, 2), timeout=20) as sender:
        for i in range(CHANGES // 4):
            # the /24 the traffic uses, a long prefix that needs a tbl8 group, and
            # the next hop of 10.1/16 (no shorter prefix: a gap would drop frames)
            for words in (("add", MORE_SPECIFIC, "2"), ("add", f"10.2.{1 + i}.128/25", "2"),
                          ("replace", "10.1.0.0/16", "2"), ("del", MORE_SPECIFIC),
                          ("del", f"10.2.{1 + i}.128/25"), ("replace", "10.1.0.0/16", "1", HOP)):
                rc, out, err = rc_(*words)
                if rc != 0:
                    failed.append((words, err))
    chk.eq(failed, [], f"all {CHANGES // 4 * 6} changes done")
    chk.ok(sender.stuck is None and sender.batches > 0,
           f"every batch sent during the changes came through ({sender.batches} batches)",
           f"stuck at {sender.stuck}")
    ok, st = core.tel.wait_for(drained(0, inj.sent), 10)
    rx = st.get("port0_rx", 0) - st0.get("port0_rx", 0)
    out = sum(st.get(k, 0) - st0.get(k, 0) for k in ("port1_tx", "port2_tx"))
    dropped = {k: v - drops(st0).get(k, 0) for k, v in drops(st).items()
               if v != drops(st0).get(k, 0)}
    chk.ok(ok and rx == len(frames) * sender.batches,
           f"port 0 took every frame sent ({rx})", f"{rx} vs {len(frames) * sender.batches}")
    chk.eq(out, rx, "port 1 + port 2 sent all of them")
    chk.eq(dropped, {}, "no drop of any kind")
    rc, lst, err = rc_("list")
    chk.eq(len(lst.splitlines()), 2, "the table is back to its two routes")


def big_load(chk, env, rc_, core, inj, frames, want_base):
    chk.section(f"a {BIG}-route table loaded while traffic flows")
    text, nb = big_table(BIG)
    path = env.path("big.routes")
    with open(path, "w") as f:
        f.write(text)
    st0 = core.stats()
    with Sender(core, inj, frames, out_ports=(1, 2), timeout=20) as sender:
        time.sleep(0.3)
        t0 = time.monotonic()
        rc, out, err = rc_("load", "big.routes", opts=["-f", path, "-t", "60"])
        wall = time.monotonic() - t0
        time.sleep(0.3)
    chk.ok(rc == 0 and f"{nb} routes" in out, f"routes load: {nb} routes",
           f"rc={rc} {out} {err}")
    inside = [line for line in out.splitlines() if line.startswith("in force after")]
    print(f"  {nb} routes ({len(text) / 1e6:.1f} MB): in force {inside[0][15:] if inside else '?'}"
          f" after l3fwd got them, {wall * 1000:.0f} ms for netvmctl from start to answer")
    # a time, reported and not checked: the NF's main thread shares its CPU
    # with its queue thread here (bench-fib measures the table alone)
    chk.ok(len(inside) == 1, "the answer says how long l3fwd took", out)
    chk.ok(sender.stuck is None and sender.batches > 0,
           f"every batch sent during the load came through ({sender.batches} batches)",
           f"stuck at {sender.stuck}")
    ok, st = core.tel.wait_for(drained(0, inj.sent), 10)
    rx = st.get("port0_rx", 0) - st0.get("port0_rx", 0)
    out_ = sum(st.get(k, 0) - st0.get(k, 0) for k in ("port1_tx", "port2_tx"))
    chk.ok(ok and rx == len(frames) * sender.batches, f"port 0 took every frame sent ({rx})")
    chk.eq(out_, rx, "port 1 + port 2 sent all of them, none lost")
    chk.eq(st.get("drop_nf_drop", 0) - st0.get("drop_nf_drop", 0), 0, "l3fwd dropped none")

    chk.section("single changes on the full table")
    got = sent_through(chk, core, inj, frames, "the full table")
    chk.eq(got, want_base, "the traffic goes by the file's 10.1/16 and 10.2/16, port 1")
    rc, out, err = rc_("add", MORE_SPECIFIC, "2")
    chk.eq(rc, 0, f"routes add {MORE_SPECIFIC} 2 on the full table")
    more = {ipaddress.ip_network("10.1.0.0/16"): 1, ipaddress.ip_network("10.2.0.0/16"): 1,
            ipaddress.ip_network(MORE_SPECIFIC): 2}
    got = sent_through(chk, core, inj, frames, "after routes add")
    chk.eq(got, counts(expected_ports(frames, more)), "the /24's frames leave by port 2")
    rc, out, err = rc_("del", MORE_SPECIFIC)
    chk.eq(rc, 0, "routes del of it")
    rc, out, err = rc_("list", timeout=120)
    chk.eq(len(out.splitlines()), nb, f"routes list: {nb} lines")


def main():
    env = nvenv.setup("live_routes", timeout=280, description=__doc__)
    chk = check.Checker("live_routes")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    frames = [bytes(p.frame) for p in traffic.simple_flows(11, NETS, 96)]
    inj = Injector(env)
    core = Core(env, "lr", CONFIG, [inj.vdev(0), "net_null0,no-rx=1", "net_null1,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    routes = env.path("routes.txt")
    with open(routes, "w") as f:
        f.write(ROUTES)
    nf = Nf(env, core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], name="l3fwd")
    err = nf.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        env.done(chk)
    rc_ = L3fwdCtl(env, core, nf)
    want_base = one_route(chk, rc_, core, inj, frames)
    refused(chk, rc_, core, inj, frames, want_base)
    changes_under_traffic(chk, rc_, core, inj, frames)
    big_load(chk, env, rc_, core, inj, frames, want_base)
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "l3fwd exits 0")
    chk.eq(counters.get("no_route"), 0, "l3fwd counted no no_route")
    chk.eq(counters.get("bad_port"), 0, "l3fwd counted no bad_port")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
