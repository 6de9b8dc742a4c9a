"""A core port whose traffic the test sends frame by frame.

A veth pair in the root namespace: one end is the core's port
(net_af_packet), the test writes frames into the other end with a raw
socket. Neither end has an address or IPv6, so the kernel sends nothing on
its own: the port receives exactly the frames the test sent and nothing
else. With traffic sent only when the test asks, counters are exact: once
portN_rx equals what was sent the pipeline has taken every frame, and with
no NF holding buffers pool0_free equals pool0_total (net_af_packet keeps no
buffers of the pool between bursts).

This replaces net_pcap with infinite_rx where a test compares buffer counts:
an endless replay keeps buffers in flight, so the free count there depends on
timing.
"""

import socket

from .netns import OFFLOADS_OFF, _write_sysctl, tool
from .proc import run

RING_FRAMES = 4096


class Injector:
    """veth pair @port_if (the core's) / @inject_if (the test's), created and up."""

    def __init__(self, env, tag="j"):
        self.env = env
        self.port_if = env.unique(f"{tag}p")[:15]
        self.inject_if = env.unique(f"{tag}i")[:15]
        if self.port_if == self.inject_if:
            raise ValueError(f"interface names collide: {self.port_if}")
        self.sock = None
        self.sent = 0
        ip = tool("ip")
        run([ip, "link", "add", self.port_if, "type", "veth", "peer", "name", self.inject_if])
        env.add_cleanup(self.destroy)
        for ifname in (self.port_if, self.inject_if):
            _write_sysctl(f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6", "1")
            run([tool("ethtool"), "-K", ifname] + OFFLOADS_OFF, check=False)
            run([ip, "link", "set", ifname, "up"])
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((self.inject_if, 0))

    def vdev(self, n, extra=""):
        """The EAL --vdev argument making this pair the core's net_af_packet@n.

        Its kernel ring holds RING_FRAMES frames (the PMD's default is 512):
        a test's sender does not wait for the core, and a core kept off its
        CPU for a moment (a loaded or stolen CPU: 0.6 s at 2000 frames/s
        overflows 512) must not lose frames the test then counts as the
        platform's. Losses there still show in portN_rx_missed."""
        return f"net_af_packet{n},iface={self.port_if},framecnt={RING_FRAMES}{extra}"

    def send(self, frames):
        """Write each frame of @frames into the port; returns how many were sent."""
        for frame in frames:
            self.sock.send(bytes(frame))
            self.sent += 1
        return len(frames)

    def destroy(self):
        """Close the socket and delete the pair; quiet when already gone."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        run([tool("ip"), "link", "del", self.port_if], check=False)


def drained(port, sent):
    """Predicate over core stats: port @port has received all @sent frames."""
    return lambda st: st.get(f"port{port}_rx", -1) >= sent


def sent_through(chk, core, inj, frames, what, keys=("port1_tx", "port2_tx", "drop_nf_drop")):
    """Send @frames once into port 0 through @inj and wait until they are all
    accounted for in the counters @keys of @core; returns the deltas of @keys."""
    st0 = core.stats()
    inj.send(frames)
    ok, st = core.tel.wait_for(
        lambda s: drained(0, inj.sent)(s) and
        sum(s.get(k, 0) - st0.get(k, 0) for k in keys) >= len(frames), 10)
    chk.ok(ok, f"{what}: the {len(frames)} frames are through",
           f"port0_rx {st.get('port0_rx')} of {inj.sent} sent")
    return tuple(st.get(k, 0) - st0.get(k, 0) for k in keys)
