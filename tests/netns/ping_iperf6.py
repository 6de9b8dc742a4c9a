#!/usr/bin/env python3
"""ping_iperf6: real IPv6 kernel traffic between two namespaces, routed by the core + l3fwd.

  nvA-<pid> 2001:db8:1::2/64                          nvB-<pid> 2001:db8:2::2/64
        │ veth                                               │ veth
  host end = port 0 ─┐                          ┌─ port 1 = host end
   (net_af_packet)   └── core engine ⇄ l3fwd ───┘   (net_af_packet)

The IPv6 twin of ping_iperf. l3fwd does no neighbour discovery, so each
namespace has a static neighbour entry for its gateway (2001:db8:x::1) at the
MAC of its host-end veth, and adds its address with `nodad` (docs/l3fwd.md);
l3fwd's route file sends each /64 out of its port to the namespace-side MAC.
ping -6 both ways, a 3000-byte ping -6 (the sender's kernel sends IPv6
fragments: the core classifies them by their first next header, l3fwd routes
them as they are and the other namespace reassembles them) and an iperf3 TCP
run over IPv6 must pass; l3fwd must count the packets as forwarded IPv6 and
decrement the hop limit (the replies arrive with it 64 - 1).
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; }, { in_port = 1; role = 1; } );
default = { action = "drop"; };
"""
BIG_PING = 3000


def main():
    env = nvenv.setup("ping_iperf6", timeout=170, description=__doc__)
    chk = check.Checker("ping_iperf6")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    for prog in ("ip", "ethtool", "ping", "iperf3", "ss"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found")

    chk.section("namespaces")
    try:
        a, b = nvnetns.make_pair(env)
        a.add_ipv6("2001:db8:1::2/64", "2001:db8:1::1", a.host_mac)
        b.add_ipv6("2001:db8:2::2/64", "2001:db8:2::1", b.host_mac)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        chk.fatal("namespaces, veth pairs and IPv6 addresses set up", f"{exc}: {detail}")
    chk.ok(True, f"{a.ns} ({a.addr6}, gateway at {a.host_mac}) and "
           f"{b.ns} ({b.addr6}, gateway at {b.host_mac})")
    routes = env.path("routes.txt")
    with open(routes, "w") as f:
        f.write(f"2001:db8:1::/64 0 {a.ns_mac}\n2001:db8:2::/64 1 {b.ns_mac}\n")

    chk.section("core and l3fwd")
    core = Core(env, "n", CONFIG, [f"net_af_packet0,iface={a.host_if}",
                                   f"net_af_packet1,iface={b.host_if}"], wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts on the two host-end veths", err or ""):
        env.done(chk)
    nf = Nf(env, core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], name="l3fwd")
    err = nf.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        env.done(chk)

    chk.section("traffic")
    nvnetns.ping(chk, a, b.addr6)
    nvnetns.ping(chk, b, a.addr6)
    r = nvnetns.run_in(a, [nvnetns.tool("ping"), "-c", "1", "-W", "2", b.addr6], timeout=10)
    chk.ok("ttl=63" in r.stdout, "the reply crossed one router: hop limit 64 - 1 = 63",
           r.stdout.strip().splitlines()[1:2])
    nvnetns.ping(chk, a, b.addr6, BIG_PING)
    bps = nvnetns.iperf3(env, chk, a, b, b.addr6)
    if bps:
        print(f"  iperf3 over IPv6 through the core: {bps / 1e6:.1f} Mbit/s", flush=True)

    st = core.stats()
    for key in ("port0_rx", "port0_tx", "port1_rx", "port1_tx"):
        chk.ge(st.get(key), 10, f"core counter {key} shows the traffic")
    chk.eq(st.get("drop_malformed", 0), 0, "the core dropped no IPv6 frame as malformed")

    chk.section("shutdown")
    nf.stop_counters()
    core.stop_checked(chk)
    print(f"  l3fwd counters: {nf.counters}", flush=True)
    chk.ge(nf.counters.get("forwarded"), 30,
           "l3fwd forwarded the IPv6 packets")
    env.done(chk)


if __name__ == "__main__":
    main()
