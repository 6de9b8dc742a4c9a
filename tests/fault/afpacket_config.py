#!/usr/bin/env python3
"""afpacket_config: the core checks net_af_packet ports' ring arguments and counts ring losses.

A veth pair in the root namespace: one end is the core's net_af_packet
port, the test writes raw frames into the other. A blocksz that is not a
multiple of framesz, and a framesz whose frames do not fit in a buffer, are
refused at start-up with a message naming the values (the default
framesz: frames of up to 1982 bytes, buffers of 2016 for DPDK's PMD);
transmit checksum offload left on draws a warning with the ethtool
command; and frames the kernel drops because the receive ring is full (the
core receives nothing while it waits for an NF: --wait-nfs 1) show in
port0_rx_missed. Last, what the default framesz of 2048 carries: a bridge
sends port 0's frames out of a net_pcap port; an IPv4 frame of 1982 bytes
arrives whole (as fragments, the port's MTU being 1500), ones of 1983 and
2016 bytes are cut short by the kernel and dropped as malformed.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.all import IP, UDP, Ether, Raw, rdpcap  # noqa: E402

from nvtest import check, pcaps  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.netns import tool  # noqa: E402
from nvtest.proc import Core, Nf, run  # noqa: E402

CONF = """core = {
  pool_buffers = 4096;
  buffer_size = %d;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
FRAMES = 3000


def expect_refused(chk, what, core, words, timeout=30.0):
    """Run @core until it exits; check it failed and its stderr has @words."""
    try:
        core.start()
    except OSError as exc:
        chk.ok(False, f"{what}: core runs", str(exc))
        return
    rc = core.wait(timeout)
    if rc is None:
        core.kill()
        chk.ok(False, f"{what}: refused at start-up", f"still running after {timeout:.0f} s")
        return
    chk.ok(rc > 0, f"{what}: non-zero exit, not a signal", f"status {rc}:{core.tail()}")
    err = core.stderr()
    missing = [w for w in words if w not in err]
    chk.ok(not missing, f"{what}: the message names {words}", f"missing {missing}:{core.tail()}")


def send_frames(ifname, count):
    """Write @count broadcast UDP-sized Ethernet frames into @ifname."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + bytes(200)
    sent = 0
    for _ in range(count):
        try:
            s.send(frame)
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
    s.close()
    return sent


def main():
    env = nvenv.setup("afpacket_config", timeout=170, description=__doc__)
    chk = check.Checker("afpacket_config")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])
    try:
        ip, ethtool = tool("ip"), tool("ethtool")
    except FileNotFoundError as exc:
        chk.fatal("tools", str(exc))
    pid = os.getpid()
    host, peer = f"nvaf{pid}h", f"nvaf{pid}p"
    run([ip, "link", "add", host, "type", "veth", "peer", "name", peer])
    env.add_cleanup(lambda: run([ip, "link", "del", host], check=False))
    for name in (host, peer):
        run([ethtool, "-K", name, "tx", "on"])
        try:
            with open(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "w") as f:
                f.write("1")
        except OSError:
            pass
        run([ip, "link", "set", name, "up"])

    chk.section("ring arguments refused")
    core = Core(env, "afb", CONF % 4096,
                [f"net_af_packet0,iface={host},blocksz=4096,framesz=1536"])
    expect_refused(chk, "blocksz 4096, framesz 1536", core,
                   ["blocksz 4096", "framesz 1536", "blocksz=12288"])
    core = Core(env, "aff", CONF % 2048,
                [f"net_af_packet0,iface={host},blocksz=8192,framesz=4096"])
    expect_refused(chk, "framesz 4096 with buffer_size 2048", core,
                   ["framesz 4096", "core.buffer_size = 8192"])
    core = Core(env, "afd", CONF % 2048, [f"net_af_packet0,iface={host}"])
    expect_refused(chk, "default framesz 2048 with buffer_size 2048", core,
                   ["framesz 2048", "frames of up to 1982 bytes", "buffers of 2016 bytes",
                    "core.buffer_size = 4096"])

    chk.section("checksum offload warning, ring losses")
    core = Core(env, "afm", CONF % 4096, [f"net_af_packet0,iface={host}"], wait_nfs=1)
    err = core.start_ready()
    if err:
        chk.fatal("core starts with a good af_packet port", err)
    chk.ok(f"ethtool -K {host} tx off" in core.stderr(),
           "tx checksum offload on: a warning with the ethtool command", core.tail())
    stats = core.stats()
    chk.ok("port0_rx_missed" in stats, "port0_rx_missed is a counter", str(sorted(stats)))
    chk.eq(stats.get("port0_rx_missed"), 0, "port0_rx_missed starts at 0")
    sent = send_frames(peer, FRAMES)
    time.sleep(0.5)
    stats = core.stats()
    missed = stats.get("port0_rx_missed", 0)
    # the ring holds 512 frames; the core reads none while it waits for an NF
    chk.ge(missed, sent - 600, f"port0_rx_missed counts the ring's losses ({sent} sent)")
    chk.ok(missed <= sent, "port0_rx_missed no more than was sent", f"{missed} > {sent}")
    rc, final = core.stop_stats()
    chk.eq(rc, 0, "core exits 0 on SIGINT")
    chk.ge(final.get("port0_rx_missed", 0), missed, "the final counters keep the losses")

    run([ethtool, "-K", host, "tx", "off"])
    core = Core(env, "afo", CONF % 4096, [f"net_af_packet0,iface={host}"])
    err = core.start_ready()
    if err:
        chk.fatal("core starts again", err)
    chk.ok("checksum offload" not in core.stderr(), "tx checksum offload off: no warning",
           core.tail())
    core.stop_stats()

    chk.section("what a frame of the default framesz carries")
    frame_room(env, chk, ip, host, peer)
    env.done(chk)


def frame_room(env, chk, ip, host, peer):
    """IPv4 frames of 1982, 1983 and 2016 bytes into port 0 (framesz 2048),
    a bridge to port 1 (net_pcap): only the first comes out, whole."""
    for name in (host, peer):
        run([ip, "link", "set", name, "mtu", "9000"])
    out, empty = env.path("room-out.pcap"), env.path("room-empty.pcap")
    pcaps.write(empty, [])
    core = Core(env, "afr", CONF % 4096,
                [f"net_af_packet0,iface={host}", f"net_pcap1,rx_pcap={empty},tx_pcap={out}"],
                wait_nfs=1)
    err = core.start_ready()
    if err:
        chk.fatal("core starts with an af_packet and a pcap port", err)
    bridge = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge")
    err = bridge.start_attached()
    if err:
        chk.fatal("bridge attaches", err)
    sizes = {1: 1982, 2: 1983, 3: 2016}  # IP id: frame length
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((peer, 0))
    for ipid, size in sizes.items():
        head = (Ether(dst="02:00:00:00:00:01", src="02:00:00:00:00:02") /
                IP(id=ipid, src="10.0.0.1", dst="10.0.0.2") / UDP(sport=9, dport=9))
        s.send(bytes(head / Raw(b"x" * (size - len(head)))))
    s.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and core.stats().get("drop_malformed", 0) < 2:
        time.sleep(0.1)
    rc, _ = bridge.stop_counters()
    chk.eq(rc, 0, "bridge exits 0")
    rc, final = core.stop_stats()
    chk.eq(rc, 0, "core exits 0 on SIGINT")
    got = {}
    for p in rdpcap(out):
        if IP in p and p[IP].id in sizes:
            got[p[IP].id] = got.get(p[IP].id, 0) + p[IP].len - 4 * p[IP].ihl
    chk.eq(got, {1: sizes[1] - 14 - 20},
           "the 1982-byte frame out whole (its fragments' payloads), not the longer ones")
    chk.eq(final.get("drop_malformed"), 2, "the 1983- and 2016-byte frames: drop_malformed")


if __name__ == "__main__":
    main()
