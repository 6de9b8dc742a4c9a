"""What a core port sends, captured on the test's end of an Injector pair.

The core's port end (net_af_packet) transmits into the veth pair; the
frames come up on the test's end, where a raw socket for every protocol
(ETH_P_ALL) receives them. Frames the test itself writes into that end show
up there too, as outgoing: they are skipped, so the capture holds exactly
what the core sent out of the port.
"""

import select
import socket
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; not in Python's socket module


class Capture:
    """Frames the core sends out of the port of Injector @inj."""

    def __init__(self, env, inj):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # 4 MiB whatever net.core.rmem_max says (SO_RCVBUFFORCE, root: the
        # default cap of 208 KiB holds a few hundred frames, which a test
        # process kept off its CPU for a moment could lose)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
        self.sock.bind((inj.inject_if, 0))
        self.frames = []
        env.add_cleanup(self.close)

    def poll(self):
        """Read every frame waiting on the socket into self.frames; the new ones."""
        new = []
        while self.sock is not None:
            ready, _, _ = select.select([self.sock], [], [], 0)
            if not ready:
                break
            data, addr = self.sock.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING:
                continue
            new.append(data)
        self.frames += new
        return new

    def wait_count(self, count, timeout=10.0):
        """Poll until at least @count frames were captured; True if they came."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if len(self.frames) >= count or time.monotonic() >= deadline:
                return len(self.frames) >= count
            time.sleep(0.02)

    def take(self):
        """The frames captured so far (polled once more), forgotten afterwards."""
        self.poll()
        out, self.frames = self.frames, []
        return out

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
