#!/usr/bin/env python3
"""click_nat: Click's two NAT gateways run unmodified, offline, over crafted traces.

mazu-nat.click and thomer-nat.click (tests/click/conf/) run in netvm-click
--offline with their devices bound to pcap files (--from-pcap/--to-pcap,
docs/click.md). The traces are built here with scapy, and so is every
expected packet: which device each leaves by, in which order, with which
rewritten addresses, ports, sequence numbers and FTP PORT command; every
checksum is recomputed by scapy and compared. No root, no core engine.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, rdpcap, wrpcap  # noqa: E402

CLICK = "apps/click/netvm-click"
BCAST = "ff:ff:ff:ff:ff:ff"


def frames(pkts):
    """Give each (time, frame) its pcap timestamp; returns the frames."""
    out = []
    for t, p in pkts:
        p.time = t
        out.append(p)
    return out


def run(env, conf, ins, outs):
    """Run @conf with input traces {dev: frames}; returns ({dev: packets}, stderr)."""
    args = [env.binary(CLICK), "--offline", "--simtime", "-f",
            os.path.join(env.source_dir, "tests", "click", "conf", conf)]
    for i, (dev, pkts) in enumerate(ins.items()):
        path = env.path(f"in{i}.pcap")
        wrpcap(path, pkts)
        args += ["--from-pcap", f"{dev}={path}"]
    for i, dev in enumerate(outs):
        args += ["--to-pcap", f"{dev}={env.path(f'out{i}.pcap')}"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    got = {dev: list(rdpcap(env.path(f"out{i}.pcap"))) for i, dev in enumerate(outs)}
    return r.returncode, got, r.stderr


def checksums_ok(p):
    """Whether the IP and transport checksums of @p are what scapy computes."""
    q = Ether(bytes(p))
    if IP not in q:
        return True
    want = q.copy()
    del want[IP].chksum
    for layer in (TCP, UDP, ICMP):
        if layer in want:
            del want[layer].chksum
    want = Ether(bytes(want))
    ok = want[IP].chksum == q[IP].chksum
    for layer in (TCP, UDP, ICMP):
        if layer in q:
            ok = ok and want[layer].chksum == q[layer].chksum
    return ok


def same(chk, got, want, what):
    """@got (a captured frame) equals @want (built here) byte for byte, checksums included."""
    w = Ether(bytes(want))
    chk.ok(got is not None and bytes(got) == bytes(w), what,
           f"got {got.summary() if got is not None else None}\n"
           f"want {w.summary()}\n{bytes(got).hex() if got is not None else ''}\n{bytes(w).hex()}")


def mazu(env, chk):
    """mazu-nat.click: NAT out, replies back, redirection to the server, FTP's PORT."""
    in_mac, ex_mac, hop = "00:50:ba:85:84:a9", "00:e0:98:09:ab:af", "02:00:0a:11:22:1f"
    h5, srv = "00:00:00:00:00:05", "00:00:00:00:00:10"
    ext, inner = "209.6.198.213", "10.0.0.1"
    port_cmd = b"PORT 10,0,0,5,195,80\r\n"  # 10.0.0.5:50000

    def to_gw(p):
        return Ether(src=h5, dst=in_mac) / p

    def from_world(p):
        return Ether(src=hop, dst=ex_mac) / p

    def arp_reply(mac, ip):
        return Ether(src=mac, dst=in_mac) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=in_mac, pdst=inner)

    intern = frames([
        (1, to_gw(IP(src="10.0.0.5", dst="1.2.3.4", ttl=64) / TCP(sport=50123, dport=80, flags="S", seq=7))),
        (3, arp_reply(h5, "10.0.0.5")),
        (5, arp_reply(srv, "10.0.0.10")),
        (9, to_gw(IP(src="10.0.0.5", dst="1.2.3.4") / TCP(sport=50200, dport=21, flags="S", seq=1000))),
        (10, to_gw(IP(src="10.0.0.5", dst="1.2.3.4") / TCP(sport=50200, dport=21, flags="PA", seq=1001, ack=5001)
                   / Raw(port_cmd))),
        (11, to_gw(IP(src="10.0.0.5", dst="1.2.3.4") / TCP(sport=50200, dport=21, flags="PA", seq=1023, ack=5001)
                   / Raw(b"NOOP\r\n"))),
    ])
    extern = frames([
        (2, from_world(IP(src="1.2.3.4", dst=ext) / TCP(sport=80, dport=50123, flags="SA", seq=99, ack=8))),
        (4, from_world(IP(src="5.6.7.8", dst=ext) / TCP(sport=33333, dport=80, flags="S", seq=5))),
        (6, from_world(IP(src="5.6.7.8", dst=ext) / TCP(sport=33334, dport=23, flags="S"))),
        (7, from_world(IP(src="5.6.7.8", dst=ext) / ICMP(type=8, id=3))),
        (8, Ether(src=hop, dst=BCAST) / ARP(op=1, hwsrc=hop, psrc="209.6.198.1", pdst=ext)),
        (12, from_world(IP(src="1.2.3.4", dst=ext) / TCP(sport=21, dport=50200, flags="A", seq=5001, ack=1034))),
        (13, from_world(IP(src="1.2.3.4", dst=ext) / TCP(sport=20, dport=50000, flags="S", seq=77))),
    ])
    rc, got, err = run(env, "mazu-nat.click", {"extern:eth": extern, "intern:eth": intern},
                       ["extern:eth", "intern:eth"])
    chk.eq(rc, 0, "mazu-nat.click ran" + (f": {err}" if err else ""))
    gx, gi = got["extern:eth"], got["intern:eth"]
    # telnet to the gateway goes to the host stack (ToHost), the ping is
    # discarded, ARP replies go to the host and to ARPQuerier: none leaves
    chk.eq(len(gx), 5, "mazu: 5 packets out of extern (hand count)")
    chk.eq(len(gi), 6, "mazu: 6 packets out of intern (hand count)")
    gx += [None] * 5
    gi += [None] * 6
    out_world = Ether(src=ex_mac, dst=hop)
    # extern, in order
    same(chk, gx[0], out_world / IP(src=ext, dst="1.2.3.4", ttl=64) / TCP(sport=50123, dport=80, flags="S", seq=7),
         "mazu: 10.0.0.5:50123 leaves as 209.6.198.213:50123 (own port, in the pattern's range)")
    same(chk, gx[1], Ether(src=ex_mac, dst=hop) / ARP(op=2, hwsrc=ex_mac, psrc=ext, hwdst=hop, pdst="209.6.198.1"),
         "mazu: ARPResponder(extern) answers for 209.6.198.213")
    same(chk, gx[2], out_world / IP(src=ext, dst="1.2.3.4") / TCP(sport=50200, dport=21, flags="S", seq=1000),
         "mazu: the FTP control SYN through FTPPortMapper and TCPRewriter")
    same(chk, gx[3], out_world / IP(src=ext, dst="1.2.3.4") / TCP(sport=50200, dport=21, flags="PA", seq=1001, ack=5001)
         / Raw(b"PORT 209,6,198,213,195,80\r\n"),
         "mazu: the PORT command names the gateway's address and mapped port (5 bytes longer)")
    same(chk, gx[4], out_world / IP(src=ext, dst="1.2.3.4") / TCP(sport=50200, dport=21, flags="PA", seq=1028, ack=5001)
         / Raw(b"NOOP\r\n"),
         "mazu: TCPRewriter moves the next sequence number by the PORT command's +5")
    # intern, in order
    same(chk, gi[0], Ether(src=in_mac, dst=BCAST) / ARP(op=1, hwsrc=in_mac, psrc=inner, hwdst="00:00:00:00:00:00",
                                                       pdst="10.0.0.5"),
         "mazu: the reply for 10.0.0.5 waits on an ARP query")
    same(chk, gi[1], Ether(src=in_mac, dst=h5) / IP(src="1.2.3.4", dst="10.0.0.5") / TCP(sport=80, dport=50123, flags="SA", seq=99, ack=8),
         "mazu: the SYN-ACK mapped back to 10.0.0.5:50123 once ARP resolved")
    same(chk, gi[2], Ether(src=in_mac, dst=BCAST) / ARP(op=1, hwsrc=in_mac, psrc=inner, hwdst="00:00:00:00:00:00",
                                                       pdst="10.0.0.10"),
         "mazu: outside HTTP redirected to intern_server: ARP query for 10.0.0.10")
    ok = gi[3] is not None and IP in gi[3] and TCP in gi[3]
    chk.ok(ok and gi[3][Ether].dst == srv and gi[3][IP].src == inner and gi[3][IP].dst == "10.0.0.10"
           and gi[3][TCP].dport == 80 and 50000 <= gi[3][TCP].sport <= 65535 and checksums_ok(gi[3]),
           "mazu: 5.6.7.8:33333 > extern:80 reaches 10.0.0.10:80 from 10.0.0.1:50000-65535",
           gi[3].summary() if gi[3] is not None else "none")
    same(chk, gi[4], Ether(src=in_mac, dst=h5) / IP(src="1.2.3.4", dst="10.0.0.5") / TCP(sport=21, dport=50200, flags="A", seq=5001, ack=1029),
         "mazu: the server's ack comes back moved by -5")
    same(chk, gi[5], Ether(src=in_mac, dst=h5) / IP(src="1.2.3.4", dst="10.0.0.5") / TCP(sport=20, dport=50000, flags="S", seq=77),
         "mazu: the server's data connection reaches the PORT address 10.0.0.5:50000")


def thomer(env, chk):
    """thomer-nat.click: pings through ICMPPingRewriter, UDP NAT, an ICMP error
    about a NATed flow through ICMPRewriter, the firewall."""
    mac, gw = "00:0d:87:9d:1c:e9", "00:20:6f:14:54:c2"
    h5 = "00:00:00:00:00:05"
    ex, inn = "66.58.65.90", "192.168.1.1"
    quoted = IP(src=ex, dst="8.8.8.8", ttl=1, id=9) / UDP(sport=50555, dport=53) / Raw(b"q")
    trace = frames([
        (1, Ether(src=h5, dst=mac) / IP(src="192.168.1.5", dst="8.8.8.8") / ICMP(type=8, id=77, seq=1)),
        (2, Ether(src=gw, dst=mac) / IP(src="8.8.8.8", dst=ex) / ICMP(type=0, id=77, seq=1)),
        (3, Ether(src=h5, dst=mac) / ARP(op=2, hwsrc=h5, psrc="192.168.1.5", hwdst=mac, pdst=inn)),
        (4, Ether(src=h5, dst=mac) / IP(src="192.168.1.5", dst="8.8.8.8") / UDP(sport=50555, dport=53) / Raw(b"q")),
        (5, Ether(src=gw, dst=mac) / IP(src="9.9.9.9", dst=ex) / ICMP(type=11, code=0) / bytes(quoted)[:28]),
        (6, Ether(src=gw, dst=mac) / IP(src="5.6.7.8", dst=ex) / TCP(sport=1000, dport=80, flags="S")),
        (7, Ether(src=gw, dst=mac) / IP(src="5.6.7.8", dst=ex) / ICMP(type=0, id=4242)),
    ])
    rc, got, err = run(env, "thomer-nat.click", {"eth0": trace}, ["eth0"])
    chk.eq(rc, 0, "thomer-nat.click ran" + (f": {err}" if err else ""))
    g = got["eth0"]
    # port 80 from outside is below 4096: Discard; an unexpected echo reply
    # has no mapping in ICMPPingRewriter: dropped
    chk.eq(len(g), 5, "thomer: 5 packets out of eth0 (hand count)")
    g += [None] * 5
    out = Ether(src=mac, dst=gw)
    same(chk, g[0], out / IP(src=ex, dst="8.8.8.8") / ICMP(type=8, id=77, seq=1),
         "thomer: the ping leaves from 66.58.65.90 (ICMPPingRewriter keeps the free identifier)")
    same(chk, g[1], Ether(src=mac, dst=BCAST) / ARP(op=1, hwsrc=mac, psrc=inn, hwdst="00:00:00:00:00:00",
                                                   pdst="192.168.1.5"),
         "thomer: the echo reply for 192.168.1.5 waits on an ARP query")
    same(chk, g[2], Ether(src=mac, dst=h5) / IP(src="8.8.8.8", dst="192.168.1.5") / ICMP(type=0, id=77, seq=1),
         "thomer: the echo reply mapped back to 192.168.1.5")
    same(chk, g[3], out / IP(src=ex, dst="8.8.8.8") / UDP(sport=50555, dport=53) / Raw(b"q"),
         "thomer: UDP NATed by pattern NAT (IPRewriterPatterns)")
    back = IP(src="192.168.1.5", dst="8.8.8.8", ttl=1, id=9) / UDP(sport=50555, dport=53) / Raw(b"q")
    same(chk, g[4], Ether(src=mac, dst=h5) / IP(src="9.9.9.9", dst="192.168.1.5") / ICMP(type=11, code=0)
         / bytes(back)[:28],
         "thomer: the time-exceeded about the NATed flow reaches 192.168.1.5, its quote rewritten")


def main():
    env = nvenv.setup("click_nat", timeout=200, description=__doc__)
    chk = check.Checker("click_nat")
    nvenv.require_binaries(env, chk, [CLICK])
    chk.section("mazu-nat.click")
    mazu(env, chk)
    chk.section("thomer-nat.click")
    thomer(env, chk)
    env.done(chk)


if __name__ == "__main__":
    main()
