#!/usr/bin/env python3
"""ping_iperf: real kernel traffic between two namespaces, routed by the core + l3fwd.

  nvA-<pid> 10.0.1.2/24                              nvB-<pid> 10.0.2.2/24
        │ veth                                               │ veth
  host end = port 0 ─┐                          ┌─ port 1 = host end
   (net_af_packet)   └── core engine ⇄ l3fwd ───┘   (net_af_packet)

Each namespace reaches its gateway (10.0.x.1) at the MAC of its host-end veth,
which is the MAC the af_packet port sends from; l3fwd's routes send each
subnet out of its port to the namespace-side MAC. ping both ways and an
iperf3 TCP run must pass, and the core's counters must show the packets.

An 8000-byte ping must pass too: the sender's kernel fragments it for the
veth's 1500-byte MTU, the af_packet port's socket reassembles it (DPDK's
net_af_packet asks the kernel to), so an 8042-byte frame reaches l3fwd; the
core must send it out of the other port as IPv4 fragments that fit the
port's MTU (1500: ethdev's default, as net_af_packet sets none), which the
other namespace reassembles.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

# net_af_packet's frames must hold a reassembled 8042-byte ping (framesz
# 12288, which holds frames of 12222 bytes; blocksz a multiple of it), and an
# mbuf's data room must hold 12256 bytes (DPDK's PMD asks framesz - 32), more
# than a 12288-byte buffer leaves after its headroom.
AF_PACKET_ARGS = "framesz=12288,blocksz=12288"
BIG_PING = 8000
CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 16384;
};
rules = ( { in_port = 0; role = 1; }, { in_port = 1; role = 1; } );
default = { action = "drop"; };
"""


def main():
    env = nvenv.setup("ping_iperf", timeout=170, description=__doc__)
    chk = check.Checker("ping_iperf")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    for prog in ("ip", "ethtool", "ping", "iperf3"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found")

    chk.section("namespaces")
    try:
        a, b = nvnetns.make_pair(env)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        chk.fatal("namespaces and veth pairs set up", f"{exc}: {detail}")
    chk.ok(True, f"{a.ns} ({a.host_if} {a.host_mac}) and {b.ns} ({b.host_if} {b.host_mac})")
    a.set_gateway_mac(a.host_mac)
    b.set_gateway_mac(b.host_mac)
    routes = env.path("routes.txt")
    with open(routes, "w") as f:
        f.write(f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n")

    chk.section("core and l3fwd")
    core = Core(env, "n", CONFIG, [f"net_af_packet0,iface={a.host_if},{AF_PACKET_ARGS}",
                                   f"net_af_packet1,iface={b.host_if},{AF_PACKET_ARGS}"],
                wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts on the two host-end veths", err or ""):
        env.done(chk)
    nf = Nf(env, core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], name="l3fwd")
    err = nf.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        env.done(chk)

    chk.section("traffic")
    nvnetns.ping(chk, a, b.addr)
    nvnetns.ping(chk, b, a.addr)
    st0 = core.stats()
    nvnetns.ping(chk, a, b.addr, BIG_PING)
    nvnetns.ping(chk, b, a.addr, BIG_PING)
    st1 = core.stats()
    # 10 requests + 10 replies of 8028 IPv4 bytes: 6 fragments each at MTU 1500
    chk.eq(st1.get("frag_packets", 0) - st0.get("frag_packets", 0), 20,
           "the core sent each 8000-byte request and reply as fragments")
    chk.eq(st1.get("frag_out", 0) - st0.get("frag_out", 0), 20 * 6,
           "6 fragments each (8008 bytes of IPv4 payload, 1480 a fragment)")
    bps = nvnetns.iperf3(env, chk, a, b, b.addr)
    if bps:
        print(f"  iperf3 through the core: {bps / 1e6:.1f} Mbit/s", flush=True)

    st = core.stats()
    for key in ("port0_rx", "port0_tx", "port1_rx", "port1_tx"):
        chk.ge(st.get(key), 10, f"core counter {key} shows the traffic")
    chk.ge(st.get(f"nf{nf.id}_rx"), 20, f"l3fwd (nf{nf.id}) received the packets")

    chk.section("shutdown")
    nf.stop_counters()
    core.stop_checked(chk)
    macs = core.port_macs()
    chk.eq({p: m for p, (_d, m) in macs.items()}, {0: a.host_mac, 1: b.host_mac},
           "core reports the host-end veth MACs for its af_packet ports")
    print(f"  l3fwd counters: {nf.counters}", flush=True)
    env.done(chk)


if __name__ == "__main__":
    main()
