"""An independent model of what the core engine and l3fwd do to each frame.

Nothing here calls project code: the frame parser is written out below, the
IPv4 checksum comes from scapy, longest-prefix match is a linear scan with
Python's ipaddress module (both families). Tests compare the real output with
this model.

Verdicts, in the order l3fwd checks them (the core drops "malformed" at RX):
  malformed    IP frame that is truncated or inconsistent (core: drop_malformed)
  not_ip       ARP, ... (neither IPv4 nor IPv6) (l3fwd counter not_ip)
  bad_cksum    IPv4 header checksum wrong     (l3fwd counter bad_cksum)
  ttl_expired  TTL (IPv6: hop limit) <= 1     (l3fwd counter ttl_expired)
  no_route     no route / no flow entry (hash mode: every IPv6 frame)
                                              (l3fwd counter no_route)
  bad_port     route to a port the core lacks (l3fwd counter bad_port)
  forwarded    sent out of a port             (l3fwd counter forwarded)
"""

import ipaddress
import struct
from collections import Counter, defaultdict

from scapy.utils import checksum as inet_checksum

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86dd
ETH_VLAN = 0x8100
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_NAMES = {PROTO_TCP: "tcp", PROTO_UDP: "udp"}

L3FWD_DROPS = ("not_ip", "bad_cksum", "ttl_expired", "no_route", "bad_port")


def mac_bytes(mac):
    """'aa:bb:cc:dd:ee:ff' -> 6 bytes."""
    parts = mac.split(":")
    if len(parts) != 6:
        raise ValueError(f"bad MAC {mac!r}")
    return bytes(int(p, 16) for p in parts)


class Parsed:
    """Offsets and fields of a frame, as far as it could be parsed."""

    def __init__(self):
        self.ethertype = None
        self.l3 = None
        self.ihl = 0
        self.total_len = 0
        self.ttl = 0
        self.proto = 0
        self.src = None
        self.dst = None
        self.sport = 0
        self.dport = 0
        self.malformed = False


def parse(frame):
    """Parse Ethernet (one optional 802.1Q tag) / IPv4 / TCP|UDP ports."""
    p = Parsed()
    if len(frame) < 14:
        return p
    etype = struct.unpack_from("!H", frame, 12)[0]
    l3 = 14
    if etype == ETH_VLAN:
        if len(frame) < 18:
            return p
        etype = struct.unpack_from("!H", frame, 16)[0]
        l3 = 18
    p.ethertype = etype
    p.l3 = l3
    if etype == ETH_IPV6:
        return parse_ipv6(frame, p)
    if etype != ETH_IPV4:
        return p
    avail = len(frame) - l3
    if avail < 20:
        p.malformed = True
        return p
    ver_ihl = frame[l3]
    p.ihl = ver_ihl & 0x0f
    p.total_len = struct.unpack_from("!H", frame, l3 + 2)[0]
    hlen = p.ihl * 4
    if ver_ihl >> 4 != 4 or p.ihl < 5 or hlen > avail or p.total_len < hlen or p.total_len > avail:
        p.malformed = True
        return p
    frag = struct.unpack_from("!H", frame, l3 + 6)[0]
    p.ttl = frame[l3 + 8]
    p.proto = frame[l3 + 9]
    p.src = ipaddress.IPv4Address(frame[l3 + 12:l3 + 16])
    p.dst = ipaddress.IPv4Address(frame[l3 + 16:l3 + 20])
    l4 = l3 + hlen
    l4_len = p.total_len - hlen
    if (frag & 0x1fff) == 0 and p.proto in (PROTO_TCP, PROTO_UDP):
        need = 20 if p.proto == PROTO_TCP else 8
        if l4_len < need:
            p.malformed = True
            return p
        p.sport, p.dport = struct.unpack_from("!HH", frame, l4)
    return p


def parse_ipv6(frame, p):
    """The IPv6 part of parse(): fixed header, TCP/UDP ports when the next
    header is TCP or UDP itself (the model knows no extension headers)."""
    l3 = p.l3
    avail = len(frame) - l3
    if avail < 40:
        p.malformed = True
        return p
    plen = struct.unpack_from("!H", frame, l3 + 4)[0]
    if plen + 40 > avail:
        p.malformed = True
        return p
    p.total_len = 40 + plen
    p.proto = frame[l3 + 6]
    p.ttl = frame[l3 + 7]
    p.src = ipaddress.IPv6Address(bytes(frame[l3 + 8:l3 + 24]))
    p.dst = ipaddress.IPv6Address(bytes(frame[l3 + 24:l3 + 40]))
    if p.proto in (PROTO_TCP, PROTO_UDP):
        if plen < (20 if p.proto == PROTO_TCP else 8):
            p.malformed = True
            return p
        p.sport, p.dport = struct.unpack_from("!HH", frame, l3 + 40)
    return p


def flow_key(frame):
    """(src, dst, proto, sport, dport) of an IP frame, None for anything else."""
    p = parse(frame)
    if p.ethertype not in (ETH_IPV4, ETH_IPV6) or p.malformed:
        return None
    return (str(p.src), str(p.dst), p.proto, p.sport, p.dport)


def ipv4_cksum_ok(frame, p):
    """True when the IPv4 header checksum of parsed frame @p verifies."""
    return inet_checksum(bytes(frame[p.l3:p.l3 + p.ihl * 4])) == 0


class LpmTable:
    """Routes 'PREFIX/LEN PORT NEXTHOP_MAC' of either family; lookup is a
    linear longest-prefix scan over the routes of the address's family."""

    def __init__(self, routes):
        self.routes = [(ipaddress.ip_network(pfx), port, mac.lower())
                       for pfx, port, mac in routes]

    def write(self, path):
        """Write the routes file l3fwd reads (--mode lpm --routes)."""
        with open(path, "w") as f:
            f.write("# prefix/len port next-hop-mac\n")
            for net, port, mac in self.routes:
                f.write(f"{net} {port} {mac}\n")

    def lookup(self, p):
        """(port, mac) for parsed frame @p, or None."""
        best = None
        for net, port, mac in self.routes:
            if net.version == p.dst.version and p.dst in net and (best is None or net.prefixlen > best[0].prefixlen):
                best = (net, port, mac)
        return None if best is None else (best[1], best[2])


class FlowTable:
    """Exact 5-tuple entries 'SRC DST PROTO SPORT DPORT PORT NEXTHOP_MAC'."""

    def __init__(self, flows):
        self.flows = {}
        for (src, dst, proto, sport, dport), port, mac in flows:
            self.flows[(str(src), str(dst), proto, sport, dport)] = (port, mac.lower())

    def write(self, path):
        """Write the flows file l3fwd reads (--mode hash --flows)."""
        with open(path, "w") as f:
            f.write("# src dst proto sport dport port next-hop-mac\n")
            for (src, dst, proto, sport, dport), (port, mac) in self.flows.items():
                f.write(f"{src} {dst} {PROTO_NAMES.get(proto, proto)} {sport} {dport} "
                        f"{port} {mac}\n")

    def lookup(self, p):
        """(port, mac) for parsed frame @p, or None (only IPv4 TCP/UDP can match)."""
        if p.proto not in (PROTO_TCP, PROTO_UDP) or p.ethertype != ETH_IPV4:
            return None
        return self.flows.get((str(p.src), str(p.dst), p.proto, p.sport, p.dport))


def l3fwd(frame, table, port_macs):
    """(verdict, port, output frame) for one input frame.

    @table: LpmTable or FlowTable; @port_macs: {port: 'aa:..'} of the core's
    ports (their count is the number of ports)."""
    p = parse(frame)
    if p.ethertype not in (ETH_IPV4, ETH_IPV6):
        return "not_ip", None, None
    if p.malformed:
        return "malformed", None, None
    if p.ethertype == ETH_IPV4 and not ipv4_cksum_ok(frame, p):
        return "bad_cksum", None, None
    if p.ttl <= 1:
        return "ttl_expired", None, None
    hit = table.lookup(p)
    if hit is None:
        return "no_route", None, None
    port, nh_mac = hit
    if port not in port_macs:
        return "bad_port", None, None
    out = bytearray(frame)
    out[0:6] = mac_bytes(nh_mac)
    out[6:12] = mac_bytes(port_macs[port])
    l3 = p.l3
    if p.ethertype == ETH_IPV6:  # hop limit - 1, no header checksum
        out[l3 + 7] = p.ttl - 1
        return "forwarded", port, bytes(out)
    out[l3 + 8] = p.ttl - 1
    out[l3 + 10:l3 + 12] = b"\0\0"
    out[l3 + 10:l3 + 12] = struct.pack("!H", inet_checksum(bytes(out[l3:l3 + p.ihl * 4])))
    return "forwarded", port, bytes(out)


class Expected:
    """What a run over a list of input frames must produce."""

    def __init__(self):
        self.per_port = defaultdict(list)   # port -> frames, input order
        self.verdicts = Counter()
        self.per_flow = defaultdict(list)   # (port, flow key) -> frames, input order

    def count(self, verdict):
        return self.verdicts.get(verdict, 0)


def expected_output(frames, table, port_macs):
    """Run the model over @frames; an Expected (malformed ones: dropped by the core)."""
    exp = Expected()
    for frame in frames:
        verdict, port, out = l3fwd(frame, table, port_macs)
        exp.verdicts[verdict] += 1
        if verdict == "forwarded":
            exp.per_port[port].append(out)
            exp.per_flow[(port, flow_key(out))].append(out)
    return exp
