#!/usr/bin/env python3
"""jumbo_desc: with 16 KiB buffers, a returned descriptor is checked against the buffer's room.

The core runs with core.buffer_size = 16384 and core.mtu = 9000: port 0
(net_pcap) replays 9014-byte frames endlessly to a raw NF (role 3,
tests/lib/nvtest/rawnf.py); port 1 is a net_null sink. The raw NF takes a
few jumbo frames and returns them one step at a time:

  * OUT port 1 as received (9014 bytes at the headroom): sent, no drop;
  * a length that ends exactly at the buffer's end (16256 bytes after the
    headroom): inside the buffer, so validation passes, and the frame is
    then too long for the port's MTU (its IPv4 length is not the frame's):
    drop_frame_mtu;
  * one byte more (16257 bytes after the headroom), a 9014-byte frame that
    starts 9013 bytes before the buffer's end, and a length of 65535:
    refused by validation, drop_bad_offset each.

After each step exactly the expected drop counters move; the pool is whole
at shutdown.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from garbage import Steps  # noqa: E402
from nvtest import check, pcaps, rawnf  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import ACT_OUT  # noqa: E402

RAW_ROLE = 3
STRIDE = 16384
HEADROOM = 128
MTU = 9000
FRAME = MTU + 14
CONFIG = f"""core = {{
  pool_buffers = 2047;
  buffer_size = {STRIDE};
  mtu = {MTU};
  ring_size = 256;
}};
rules = ( {{ dst = "10.3.0.0/16"; role = {RAW_ROLE}; }} );
default = {{ action = "drop"; }};
"""
TAKE = 8


def main():
    env = nvenv.setup("jumbo_desc", timeout=110, description=__doc__)
    chk = check.Checker("jumbo_desc")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])
    hdr = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / \
        IP(src="10.0.0.1", dst="10.3.0.1") / UDP(sport=4000, dport=5000)
    jumbo = bytes(hdr / Raw(bytes(i & 0xff for i in range(FRAME - len(hdr)))))
    flows = env.path("jumbo.pcap")
    pcaps.write(flows, [jumbo])
    core = Core(env, "jd", CONFIG,
                [f"net_pcap0,rx_pcap={flows},infinite_rx=1", "net_null0,no-rx=1"], wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    raw = rawnf.attach_running(env, chk, core.sock, RAW_ROLE)
    chk.eq(raw.buf_stride, STRIDE, f"the pool's buffers are {STRIDE} bytes")
    got = raw.receive(TAKE, timeout=10)
    if not chk.eq(len(got), TAKE, f"raw NF receives {TAKE} jumbo frames"):
        env.done(chk)
    chk.ok(all(d.len == FRAME and d.data_off == HEADROOM for d in got),
           f"each is {FRAME} bytes at the headroom", str(got[:2]))
    chk.ok(all(raw.packet(d) == jumbo for d in got), "their bytes equal the pcap's frame")

    steps = Steps(chk, core, raw)
    a = got.pop()
    st0, st1 = steps.run(f"OUT of {FRAME} bytes", [a.copy(action=ACT_OUT, port=1)], {})
    room = STRIDE - HEADROOM
    steps.run(f"{room} bytes: up to the buffer's end", [got.pop().copy(len=room, action=ACT_OUT,
                                                                         port=1)],
              {"frame_mtu": 1})
    steps.run(f"{room + 1} bytes: one past the buffer's end",
              [got.pop().copy(len=room + 1, action=ACT_OUT, port=1)], {"bad_offset": 1})
    steps.run(f"{FRAME} bytes at offset {STRIDE - FRAME + 1}",
              [got.pop().copy(data_off=STRIDE - FRAME + 1, action=ACT_OUT, port=1)],
              {"bad_offset": 1})
    steps.run("65535 bytes", [got.pop().copy(len=0xffff, action=ACT_OUT, port=1)],
              {"bad_offset": 1})
    chk.ok(core.alive(), "core alive after the bad lengths")
    raw.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, timeout=10)
    chk.ok(ok, "raw NF detached", f"nfs_attached={st.get('nfs_attached')}")
    final = core.stop_checked(chk)
    chk.ok(final.get("port1_tx", 0) >= 1, "the valid jumbo frame left port 1",
           f"port1_tx={final.get('port1_tx')}")
    env.done(chk)


if __name__ == "__main__":
    main()
