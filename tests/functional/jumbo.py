#!/usr/bin/env python3
"""jumbo: frames of up to 9000 bytes of MTU pass core + bridge whole; longer ones are counted drops.

The core runs with core.buffer_size = 16384 (16256 bytes of room after the
headroom) and core.mtu = 9000 on two net_pcap ports; netvm-bridge sends
everything from port 0 out of port 1. Port 0 replays, in this order:

  * IPv4/UDP frames of 64, 1518, 1519, 4096, 8996 (a 9000-byte frame with
    its FCS) and 9014 bytes (the MTU's IPv4 packet, DF set), an IPv6/UDP
    frame of 9014 bytes: each must leave port 1 byte for byte as it came in,
    in order, in one piece (no fragment: the port's MTU is 9000);
  * an IPv4 frame of 9015 bytes with DF set: over the MTU, drop_frag_needed;
  * an IPv4 frame of 16300 bytes: longer than one buffer's room, so net_pcap
    hands the core a chain of two buffers and the core drops it as
    drop_frame_room (at RX, before any NF sees it);
  * one more 9014-byte frame, to show the core goes on after both drops.

The core must report MTU 9000 on both ports, exit 0 and get every buffer back.
Then the frames of the first list pass netvm-macswap, which writes into each
buffer: port 1 must carry them with their MAC addresses swapped, nothing else
changed, and nothing dropped. The first list again with
core.rx_parse = "when_needed" (the frames handed on unread): the same frames
leave port 1, the same two drops, the frame over a buffer's room counted at
RX in the unread path as well. Last, netvm-pktgen sends 9000-byte frames
(2000 a second for a second) over net_memif (bsize 16384) through the core
(MTU 9000, applied by the core itself on memif) and a bridge, as the
benchmarks do: every frame that comes back must be whole and in order, and
the core must count no frame over the MTU or a buffer.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from nvtest import check, pcaps  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, replay  # noqa: E402
from nvtest.telemetry import drops  # noqa: E402

MTU = 9000
ROOM = 16384 - 128
CORE_EXTRA = f"  buffer_size = 16384;\n  mtu = {MTU};\n"
CONFIG = """default = { role = 1; };
"""
SRC_MAC, DST_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def frame(size, ident, df=False, v6=False):
    """An Ethernet/IP/UDP frame of exactly @size bytes whose payload bytes depend on @ident."""
    l3 = IPv6(src="2001:db8::1", dst="2001:db8:2::1") if v6 else \
        IP(src="10.0.0.1", dst="10.0.2.1", id=ident, flags="DF" if df else 0)
    hdr = Ether(src=SRC_MAC, dst=DST_MAC) / l3 / UDP(sport=4000 + ident, dport=5000)
    body = bytes((ident * 7 + i) & 0xff for i in range(size - len(hdr)))
    out = bytes(hdr / Raw(body))
    assert len(out) == size, (len(out), size)
    return out


def main():
    env = nvenv.setup("jumbo", timeout=120, description=__doc__)
    chk = check.Checker("jumbo")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, nvenv.MACSWAP_BIN])
    passing = [frame(64, 1), frame(1518, 2), frame(1519, 3), frame(4096, 4),
               frame(MTU - 4, 5), frame(MTU + 14, 6, df=True), frame(MTU + 14, 7, v6=True)]
    over_mtu = frame(MTU + 15, 8, df=True)
    over_room = frame(16300, 9)
    assert len(over_room) > ROOM
    last = frame(MTU + 14, 10, df=True)
    frames = passing + [over_mtu, over_room, last]
    res = replay(env, chk, "jumbo", CONFIG, frames,
                 [NfSpec(nvenv.BRIDGE_BIN, 1, [], "bridge")], core_extra=CORE_EXTRA)
    if not res.started:
        env.done(chk)
    mtu_lines = [line for line in res.core.stdout().splitlines()
                 if line.startswith("port ") and " MTU " in line]
    chk.ok(sum(f"MTU {MTU}:" in line for line in mtu_lines) == 2,
           f"both ports report MTU {MTU}", "\n".join(mtu_lines))
    chk.eq(res.core_rc, 0, "core exits 0")
    expected = passing + [last]
    diffs = pcaps.compare(expected, res.out.get(1) or [])
    chk.ok(not diffs, f"port 1 carries the {len(expected)} frames of up to {MTU + 14} bytes "
           "byte for byte, in order", "; ".join(diffs[:5]))
    chk.eq(len(res.out.get(0) or []), 0, "nothing leaves port 0")
    got = {k: v for k, v in drops(res.final).items() if v}
    chk.eq(got, {"frag_needed": 1, "frame_room": 1},
           "exactly one drop_frag_needed (over the MTU, DF) and one drop_frame_room "
           "(over a buffer's room)")
    chk.eq(res.final.get("port0_rx"), len(frames), "port 0 received every frame")
    chk.eq(res.final.get("frag_out"), 0, "nothing was fragmented")
    chk.ok(res.final.get("pool0_free") == res.final.get("pool0_total"),
           "pool whole at exit", f"{res.final.get('pool0_free')} of {res.final.get('pool0_total')}")

    chk.section('frames the core does not read: core.rx_parse = "when_needed"')
    res = replay(env, chk, "jumbo-unread", CONFIG, frames,
                 [NfSpec(nvenv.BRIDGE_BIN, 1, [], "bridge")],
                 core_extra=CORE_EXTRA + '  rx_parse = "when_needed";\n')
    if res.started:
        diffs = pcaps.compare(expected, res.out.get(1) or [])
        chk.ok(not diffs, f"port 1 carries the {len(expected)} frames byte for byte, in order",
               "; ".join(diffs[:5]))
        chk.eq({k: v for k, v in drops(res.final).items() if v},
               {"frag_needed": 1, "frame_room": 1},
               "the frame over a buffer's room is dropped at RX unread too (drop_frame_room)")
        chk.eq(res.final.get("rx_unread"), len(frames) - 1,
               "every other frame went to the NF unread")
        chk.ok(res.final.get("pool0_free") == res.final.get("pool0_total"),
               "pool whole at exit",
               f"{res.final.get('pool0_free')} of {res.final.get('pool0_total')}")

    chk.section("an NF that writes the frame: netvm-macswap")
    res = replay(env, chk, "jumbo-macswap", CONFIG, passing,
                 [NfSpec(nvenv.MACSWAP_BIN, 1, [], "macswap")], core_extra=CORE_EXTRA)
    if res.started:
        swapped = [f[6:12] + f[0:6] + f[12:] for f in passing]
        diffs = pcaps.compare(swapped, res.out.get(1) or [])
        chk.ok(not diffs, f"port 1 carries the {len(passing)} frames MAC-swapped, the rest "
               "byte for byte", "; ".join(diffs[:5]))
        chk.eq({k: v for k, v in drops(res.final).items() if v}, {}, "no drop")
    memif_section(env, chk)
    env.done(chk)


def memif_section(env, chk):
    """netvm-pktgen's 9000-byte frames over memif through core + bridge (the benchmark's path)."""
    chk.section("9000-byte frames of netvm-pktgen over net_memif (bsize 16384)")
    sys.path.insert(0, os.path.join(env.source_dir, "scripts", "lib"))
    import bench_trial  # noqa: E402  (the benchmarks' trial: pktgen, core, NFs over memif)

    setup = bench_trial.Setup(env.build_dir, env.workdir, env.unique("jm"))
    env.add_cleanup(setup.cleanup)
    try:
        res = bench_trial.run(setup, "jumbo", [(nvenv.BRIDGE_BIN, 1, [])], seconds=1,
                              size="9000", rate_pps=2000, **bench_trial.JUMBO)
    except bench_trial.TrialError as exc:
        chk.ok(False, "pktgen -> memif -> core -> bridge -> memif -> pktgen runs", str(exc))
        return
    pg, core = res["pktgen"], res["core"]
    with open(os.path.join(res["dir"], "core.log")) as f:
        log = f.read()
    chk.ok(f"MTU {MTU} is the core's own" in log, "the core applies MTU 9000 to its memif ports",
           "no such line in core.log")
    chk.eq(pg.get("avg_size"), 9000.0, "the generator sent 9000-byte frames")
    chk.gt(pg.get("rx", 0), 0, "frames came back")
    chk.eq(pg.get("marked"), pg.get("rx"), "every frame came back whole (its stamp intact)")
    chk.eq(pg.get("out_of_order"), 0, "in order")
    got = {k: core.get(f"drop_{k}") for k in ("frame_mtu", "frag_needed", "frame_room",
                                              "malformed")}
    chk.eq(got, {k: 0 for k in got}, "no frame was over the MTU, a buffer, or garbled")
    chk.eq(core.get("frag_out"), 0, "nothing was fragmented")


if __name__ == "__main__":
    main()
