"""What the firewall tests share: a core whose two injectable ports both feed
role 1, and frames between an "inside" (port 0) and an "outside" (port 1).

CONFIG: every packet of port 0 or 1 goes to role 1 (the firewall under test,
allow action "pair": out of the other port). inside()/outside() build a frame
entering port 0 or port 1, padded to the Ethernet minimum, so that what comes
out can be compared byte for byte with what went in.
"""

from scapy.layers.l2 import Ether

CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; }, { in_port = 1; role = 1; } );
default = { action = "drop"; };
"""

IN_MAC, OUT_MAC = "02:00:00:00:01:02", "02:00:00:00:02:02"


def pad(pkt):
    """The frame's bytes, padded to the Ethernet minimum of 60."""
    raw = bytes(pkt)
    return raw + b"\0" * max(0, 60 - len(raw))


def inside(ip, l4):
    """@ip / @l4 as a frame entering port 0 (the inside)."""
    return pad(Ether(src=IN_MAC, dst=OUT_MAC) / ip / l4)


def outside(ip, l4):
    """@ip / @l4 as a frame entering port 1 (the outside)."""
    return pad(Ether(src=OUT_MAC, dst=IN_MAC) / ip / l4)
