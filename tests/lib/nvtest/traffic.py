"""Input traffic built with scapy: many TCP/UDP flows plus every kind of bad frame.

Each generated packet carries its intended kind, so the test can also check
that the model (model.py) classifies the input as it was built. Packets of a
flow carry "NVT" + flow index + sequence number in their payload so that
reordering within a flow can be seen in the output.
"""

import ipaddress
import random
import struct

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import ARP, Ether

IN_SRC_MAC = "02:00:00:00:00:01"
IN_DST_MAC = "02:00:00:00:00:fe"

# LPM routes of the functional tests: two overlaps (a /24 in a /16, a /25 in a /24).
LPM_ROUTES = [
    ("10.1.0.0/16", 1, "02:00:00:00:01:01"),
    ("10.1.7.0/24", 1, "02:00:00:00:01:07"),
    ("10.2.0.0/16", 1, "02:00:00:00:02:02"),
    ("10.3.0.0/24", 0, "02:00:00:00:03:03"),
    ("10.3.0.128/25", 1, "02:00:00:00:03:80"),
    ("172.16.0.0/12", 1, "02:00:00:00:ac:10"),
]
# Destinations inside the routes above, and outside all of them.
ROUTABLE_NETS = ["10.1.0.0/16", "10.1.7.0/24", "10.2.0.0/16", "10.3.0.0/25",
                 "10.3.0.128/25", "172.16.0.0/12"]
UNROUTABLE_NETS = ["10.200.0.0/16", "192.168.0.0/16", "10.3.1.0/24", "11.0.0.0/8"]

# IPv6 routes in the same file as IPv4 ones: a /64 in a /48, a /127 and a /128
# in that /64, a /20 (not on a byte boundary), a /16.
LPM_ROUTES6 = LPM_ROUTES + [
    ("2001:db8:1::/48", 1, "02:00:00:00:61:01"),
    ("2001:db8:1:7::/64", 0, "02:00:00:00:61:07"),
    ("2001:db8:1:7::10/127", 1, "02:00:00:00:61:10"),
    ("2001:db8:1:7::11/128", 0, "02:00:00:00:61:11"),
    ("2001:db8:2::/48", 1, "02:00:00:00:62:02"),
    ("2001:1000::/20", 0, "02:00:00:00:62:20"),
    ("fd00::/16", 1, "02:00:00:00:fd:00"),
]
ROUTABLE_NETS6 = ["2001:db8:1::/48", "2001:db8:1:7::/64", "2001:db8:1:7::10/127",
                  "2001:db8:1:7::11/128", "2001:db8:2::/48", "2001:1000::/20", "fd00::/16"]
UNROUTABLE_NETS6 = ["2001:db8:3::/48", "2001:db9::/32", "2001:2000::/20", "3fff::/16"]


class GenPacket:
    """A generated frame, what it was built to be, and its flow (index, seq) if any."""

    def __init__(self, frame, kind, flow=None, seq=0, tuple5=None):
        self.frame = bytes(frame)
        self.kind = kind
        self.flow = flow
        self.seq = seq
        self.tuple5 = tuple5


def random_addr(rng, net):
    """A random host address inside network @net (a string)."""
    n = ipaddress.ip_network(net)
    if n.num_addresses <= 2:
        return str(n.network_address + rng.randrange(n.num_addresses))
    return str(n.network_address + rng.randrange(1, n.num_addresses - 1))


def build_l4(rng, tuple5, ttl, size, tag):
    """An Ethernet/IPv4/TCP|UDP|ICMP frame of exactly @size bytes, payload starting with @tag."""
    src, dst, proto, sport, dport = tuple5
    ip = IP(src=src, dst=dst, ttl=ttl, id=rng.randrange(65536))
    if proto == 6:
        l4 = TCP(sport=sport, dport=dport, flags="PA", seq=rng.randrange(1 << 32),
                 ack=rng.randrange(1 << 32), window=8192)
        hdrs = 14 + 20 + 20
    elif proto == 17:
        l4 = UDP(sport=sport, dport=dport)
        hdrs = 14 + 20 + 8
    else:
        l4 = ICMP(type=8, id=sport, seq=dport)
        hdrs = 14 + 20 + 8
    fill = size - hdrs - len(tag)
    if fill < 0:
        raise ValueError(f"size {size} too small for a tagged packet")
    payload = tag + bytes(rng.randrange(256) for _ in range(fill))
    frame = bytes(Ether(src=IN_SRC_MAC, dst=IN_DST_MAC) / ip / l4 / payload)
    if len(frame) != size:
        raise AssertionError(f"built {len(frame)} bytes, wanted {size}")
    return frame


def build_l4_6(rng, tuple5, hlim, size, tag):
    """An Ethernet/IPv6/TCP|UDP|ICMPv6 echo frame of exactly @size bytes, payload
    starting with @tag."""
    src, dst, proto, sport, dport = tuple5
    ip = IPv6(src=src, dst=dst, hlim=hlim, fl=rng.randrange(1 << 20))
    if proto == 6:
        l4 = TCP(sport=sport, dport=dport, flags="PA", seq=rng.randrange(1 << 32),
                 ack=rng.randrange(1 << 32), window=8192)
        hdrs = 14 + 40 + 20
    elif proto == 17:
        l4 = UDP(sport=sport, dport=dport)
        hdrs = 14 + 40 + 8
    else:
        l4 = ICMPv6EchoRequest(id=sport, seq=dport)
        hdrs = 14 + 40 + 8
    fill = size - hdrs - len(tag)
    payload = tag + bytes(rng.randrange(256) for _ in range(fill))
    frame = bytes(Ether(src=IN_SRC_MAC, dst=IN_DST_MAC) / ip / l4 / payload)
    if len(frame) != size:
        raise AssertionError(f"built {len(frame)} bytes, wanted {size}")
    return frame


def mixed_traffic6(seed=6262, nb_flows=120, pkts_per_flow=(2, 5)):
    """IPv6 flows to the networks of LPM_ROUTES6 (96..1500 bytes) in between IPv4
    ones, hop limits 0/1/2, unroutable IPv6 destinations, ICMPv6 echoes and ARP."""
    rng = random.Random(seed)

    def flow6(nets, protos=(6, 17)):
        return (random_addr(rng, "2001:db8:ff::/48"), random_addr(rng, rng.choice(nets)),
                rng.choice(protos), rng.randrange(1024, 65536), rng.randrange(1, 65536))

    pkts = []
    for fi in range(nb_flows):
        t = flow6(ROUTABLE_NETS6)
        for seq in range(rng.randint(*pkts_per_flow)):
            size = 1500 if seq == 0 and fi % 7 == 0 else rng.randint(96, 1500)
            pkts.append(GenPacket(build_l4_6(rng, t, 64, size, tag(fi, seq)), "forwarded",
                                  fi, seq, t))
    extra = []
    fi = nb_flows
    for hlim, kind in [(0, "ttl_expired"), (1, "ttl_expired"), (2, "forwarded")] * 4:
        t = flow6(ROUTABLE_NETS6)
        extra.append(GenPacket(build_l4_6(rng, t, hlim, 200, tag(fi, 0)), kind, fi, 0, t))
        fi += 1
    for _ in range(12):
        t = flow6(UNROUTABLE_NETS6)
        extra.append(GenPacket(build_l4_6(rng, t, 64, 300, tag(fi, 0)), "no_route", fi, 0, t))
        fi += 1
    for _ in range(8):
        t = flow6(ROUTABLE_NETS6, protos=(58,))
        extra.append(GenPacket(build_l4_6(rng, t, 64, 120, tag(fi, 0)), "forwarded", fi, 0, t))
        fi += 1
    for _ in range(20):
        t = random_flow(rng, ROUTABLE_NETS)
        extra.append(GenPacket(build_l4(rng, t, 64, 200, tag(fi, 0)), "forwarded", fi, 0, t))
        fi += 1
    for _ in range(3):
        extra.append(GenPacket(bytes(Ether(src=IN_SRC_MAC, dst="ff:ff:ff:ff:ff:ff") /
                                     ARP(psrc="10.0.0.1", pdst="10.1.0.1")), "not_ip"))
    return merge_keeping_flow_order(rng, pkts, extra)


def tag(flow, seq):
    """Payload tag of packet @seq of flow @flow."""
    return b"NVT" + struct.pack("!HH", flow, seq)


def random_flow(rng, nets, protos=(6, 17)):
    """A random 5-tuple (src, dst, proto, sport, dport) to a host in one of @nets."""
    return (random_addr(rng, "10.0.0.0/16"), random_addr(rng, rng.choice(nets)),
            rng.choice(protos), rng.randrange(1024, 65536), rng.randrange(1, 65536))


def malformed_frames():
    """IPv4 frames the core must reject at RX: truncated header, IHL < 5, length > frame."""
    eth = Ether(src=IN_SRC_MAC, dst=IN_DST_MAC, type=0x0800)
    good_ip = bytes(IP(src="10.0.0.9", dst="10.1.0.9") / UDP(sport=1, dport=2) / (b"x" * 30))
    frames = [
        bytes(eth),                                       # no IPv4 header at all
        bytes(eth) + good_ip[:10],                        # IPv4 header cut at 10 bytes
        bytes(eth) + good_ip[:19],                        # one byte short of 20
        bytes(eth / IP(ihl=4, src="10.0.0.9", dst="10.1.0.9") / UDP() / (b"y" * 30)),
        bytes(eth / IP(ihl=2, src="10.0.0.9", dst="10.2.0.9") / UDP() / (b"y" * 30)),
        bytes(eth / IP(len=1000, src="10.0.0.9", dst="10.1.0.9") / UDP() / (b"z" * 60)),
        bytes(eth / IP(len=1500, src="10.0.0.9", dst="10.2.0.9") / TCP() / (b"z" * 540)),
    ]
    return [GenPacket(f, "malformed") for f in frames]


def bad_cksum_frame(rng, tuple5):
    """A routable IPv4 frame whose header checksum is wrong."""
    frame = bytearray(build_l4(rng, tuple5, 64, 100, b"BADCK"))
    frame[24] ^= 0x12
    frame[25] ^= 0x34
    return bytes(frame)


def mixed_traffic(seed=4242, nb_flows=210, pkts_per_flow=(2, 6)):
    """The functional tests' input: a list of GenPacket in send order.

    nb_flows TCP/UDP flows to routable destinations (each 2..6 packets of
    64..1500 bytes, interleaved but in order within a flow), ICMP echoes,
    TTL 0/1/2 packets, unroutable flows, bad header checksums, malformed IPv4,
    an ARP request and an IPv6 packet."""
    rng = random.Random(seed)
    seen = set()

    def new_flow(nets, protos=(6, 17)):
        while True:
            t = random_flow(rng, nets, protos)
            if t not in seen:
                seen.add(t)
                return t

    flows = [new_flow(ROUTABLE_NETS) for _ in range(nb_flows)]
    counts = [rng.randint(*pkts_per_flow) for _ in flows]
    order = [i for i, c in enumerate(counts) for _ in range(c)]
    rng.shuffle(order)
    seqs = [0] * nb_flows
    pkts = []
    for fi in order:
        seq = seqs[fi]
        seqs[fi] += 1
        size = rng.choice([64, 64, 128, 256, 512, 1000, 1500, rng.randint(64, 1500)])
        ttl = rng.choice([2, rng.randint(3, 255), 64])
        pkts.append(GenPacket(build_l4(rng, flows[fi], ttl, size, tag(fi, seq)),
                              "forwarded", fi, seq, flows[fi]))

    extra = []
    fi = nb_flows
    for ttl in [0] * 8 + [1] * 8:
        t = new_flow(ROUTABLE_NETS)
        extra.append(GenPacket(build_l4(rng, t, ttl, rng.randint(64, 600), tag(fi, 0)),
                               "ttl_expired", fi, 0, t))
        fi += 1
    for _ in range(10):
        t = new_flow(UNROUTABLE_NETS)
        for seq in range(2):
            extra.append(GenPacket(build_l4(rng, t, 64, rng.randint(64, 1500), tag(fi, seq)),
                                   "no_route", fi, seq, t))
        fi += 1
    for _ in range(5):
        t = new_flow(ROUTABLE_NETS)
        extra.append(GenPacket(bad_cksum_frame(rng, t), "bad_cksum", fi, 0, t))
        fi += 1
    for _ in range(10):
        t = new_flow(ROUTABLE_NETS, protos=(1,))
        extra.append(GenPacket(build_l4(rng, t, 64, rng.randint(64, 300), tag(fi, 0)),
                               "icmp", fi, 0, t))
        fi += 1
    extra += malformed_frames()
    extra.append(GenPacket(bytes(Ether(src=IN_SRC_MAC, dst="ff:ff:ff:ff:ff:ff") /
                                 ARP(psrc="10.0.0.1", pdst="10.1.0.1")), "not_ip"))
    extra.append(GenPacket(bytes(Ether(src=IN_SRC_MAC, dst=IN_DST_MAC) /
                                 IPv6(src="2001:db8::1", dst="2001:db8::2") /
                                 UDP(sport=5, dport=6) / (b"v6" * 20)), "no_route"))
    return merge_keeping_flow_order(rng, pkts, extra)


def merge_keeping_flow_order(rng, pkts, extra):
    """Insert @extra at random places in @pkts; packets of one flow stay in order."""
    pos = [rng.randrange(len(pkts) + 1) for _ in extra]
    by_flow = {}
    for i, p in enumerate(extra):
        if p.flow is not None:
            by_flow.setdefault(p.flow, []).append(i)
    for members in by_flow.values():
        for i, q in zip(members, sorted(pos[i] for i in members)):
            pos[i] = q
    slots = sorted(range(len(extra)), key=lambda i: (pos[i], i))
    out = []
    k = 0
    for idx in range(len(pkts) + 1):
        while k < len(slots) and pos[slots[k]] == idx:
            out.append(extra[slots[k]])
            k += 1
        if idx < len(pkts):
            out.append(pkts[idx])
    return out


def simple_flows(seed, nets_roles, nb_packets=64, size=128):
    """@nb_packets UDP frames spread over the networks of @nets_roles (a list of CIDRs)."""
    rng = random.Random(seed)
    out = []
    for i in range(nb_packets):
        t = (random_addr(rng, "10.0.0.0/16"), random_addr(rng, nets_roles[i % len(nets_roles)]),
             17, rng.randrange(1024, 65536), rng.randrange(1, 65536))
        out.append(GenPacket(build_l4(rng, t, 64, size, tag(i, 0)), "forwarded", i, 0, t))
    return out
