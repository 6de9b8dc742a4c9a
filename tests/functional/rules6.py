#!/usr/bin/env python3
"""rules6: the core's rules with IPv6 prefixes, from the file and changed live.

Port 0 receives exactly the frames the test writes into it (nvtest.inject),
port 1 is a net_null sink. Three netvm-bridge instances, roles 1, 2 and 3,
send every packet out of port 1; which role got how many frames is read from
their nf<I>_rx counters. The file's rules:

  0  src 2001:db8:1::/48                    -> role 1
  1  dst 2001:db8:2::/64, tcp, dport 443    -> role 2
  2  src 10.1.0.0/16 (IPv4)                 -> role 2
  3  proto udp, dport 53 (no prefix: both)  -> role 1
  4  in_port 0                              -> role 3

The frames (the expected role of each group comes from the rules above):
IPv6 from 2001:db8:1::/48 (role 1), IPv6 TCP to 2001:db8:2::/64 port 443
(role 2) and port 80 (role 3), IPv6 UDP to port 53 from elsewhere (role 1),
IPv4 from 10.1/16 (role 2), IPv4 from 10.2/16 (role 3), ICMPv6 behind a
fragment header (role 3). The rules see past IPv6 extension headers: UDP to
port 53 behind a hop-by-hop header (role 1, rule 3), TCP to 2001:db8:2::/64
port 443 behind three extension headers (role 2, rule 1), the two fragments
of a UDP datagram to port 53 behind a hop-by-hop header (role 1: the first
by rule 3, the later one, which has no ports, with its first). Truncated or
malformed IPv6 frames (a payload length past the frame, a cut UDP header,
version 4, a cut hop-by-hop header, nine extension headers): dropped at RX
as drop_malformed, reaching no NF.

Then `netvmctl rule add/del` with IPv6 prefixes moves the port-80 group to
role 2 and back (`rule list` prints the IPv6 prefixes), and bad IPv6 rules
are refused with their reason, by command and in a reloaded file (its line).
Last, the DoS detector (`dos set syn_pps 10`): IPv6 SYN-ACKs and ACKs into
role 2 list no role, 48 SYNs behind hop-by-hop or destination options
headers list role 2 as SYN-flooded.
"""

import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,  # noqa: E402
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
from scapy.packet import Raw  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check, ctl  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector, sent_through  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

HEAD = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
"""
# rules 0..4 on lines 6..10
CONFIG = HEAD + """rules = (
  { src = "2001:db8:1::/48"; role = 1; },
  { dst = "2001:db8:2::/64"; proto = "tcp"; dport = 443; role = 2; },
  { src = "10.1.0.0/16"; role = 2; },
  { proto = "udp"; dport = 53; role = 1; },
  { in_port = 0; role = 3; }
);
default = { action = "drop"; };
"""
RULE_LIST = ('0 { src = "2001:db8:1::/48"; role = 1; }  # line 6\n'
             '1 { proto = "tcp"; dst = "2001:db8:2::/64"; dport = 443; role = 2; }  # line 7\n'
             '2 { src = "10.1.0.0/16"; role = 2; }  # line 8\n'
             '3 { proto = "udp"; dport = 53; role = 1; }  # line 9\n'
             '4 { in_port = 0; role = 3; }  # line 10\n'
             'default { action = "drop"; }\n')
# a reloaded file with a bad IPv6 rule on line 7
BAD_FILE = HEAD + """rules = (
  { in_port = 0; role = 3; },
  { src = "2001:db8:1::1/48"; role = 1; }
);
"""
N = 8  # frames per group
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def eth6(src, dst, l4):
    return bytes(Ether(**MAC) / IPv6(src=src, dst=dst, hlim=64) / l4)


def udp53_frags(sport, ident):
    """The two fragments of a UDP datagram to port 53 (8 bytes of data),
    each behind a hop-by-hop header: the first holds the UDP header."""
    src, dst = "2001:db8:7::99", "2001:db8:5::53"
    first = (IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=ident)
             / Raw(struct.pack("!HHHH", sport, 53, 16, 0) + bytes(8)))
    later = (IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(nh=17, offset=2, m=0, id=ident)
             / Raw(bytes(8)))
    return [eth6(src, dst, first), eth6(src, dst, later)]


def groups():
    """(name, frames, role or 'malformed') of the traffic the test sends."""
    g = [
        ("IPv6 from 2001:db8:1::/48",
         [eth6(f"2001:db8:1:{i:x}::5", "2001:db8:2::2", UDP(sport=1000 + i, dport=9))
          for i in range(N)], 1),
        ("IPv6 TCP to 2001:db8:2::/64 port 443",
         [eth6(f"2001:db8:9::{i + 1:x}", f"2001:db8:2::{i + 1:x}", TCP(sport=2000 + i, dport=443))
          for i in range(N)], 2),
        ("IPv6 TCP to 2001:db8:2::/64 port 80",
         [eth6(f"2001:db8:9::{i + 1:x}", f"2001:db8:2::{i + 1:x}", TCP(sport=2000 + i, dport=80))
          for i in range(N)], 3),
        ("IPv6 UDP to port 53",
         [eth6(f"2001:db8:7::{i + 1:x}", "2001:db8:5::53", UDP(sport=3000 + i, dport=53))
          for i in range(N)], 1),
        ("IPv4 from 10.1/16",
         [bytes(Ether(**MAC) / IP(src=f"10.1.0.{i + 1}", dst="10.9.0.1") / UDP(sport=4000 + i, dport=53))
          for i in range(N)], 2),
        ("IPv4 from 10.2/16",
         [bytes(Ether(**MAC) / IP(src=f"10.2.0.{i + 1}", dst="10.9.0.1") / TCP(sport=4000 + i, dport=80))
          for i in range(N)], 3),
        ("ICMPv6 behind a fragment header",
         [eth6("2001:db8:7::1", "2001:db8:2::1", IPv6ExtHdrFragment() / ICMPv6EchoRequest(id=i))
          for i in range(N)], 3),
        # the rules see past extension headers: these are rules 3 and 1's
        ("IPv6 UDP to port 53 behind a hop-by-hop header",
         [eth6(f"2001:db8:7::{i + 1:x}", "2001:db8:5::53",
               IPv6ExtHdrHopByHop() / UDP(sport=3100 + i, dport=53)) for i in range(N)], 1),
        ("IPv6 TCP to 2001:db8:2::/64 port 443 behind hop-by-hop, routing, dest. options",
         [eth6(f"2001:db8:9::{i + 1:x}", f"2001:db8:2::{i + 1:x}",
               IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting() / IPv6ExtHdrDestOpt()
               / TCP(sport=2100 + i, dport=443)) for i in range(N)], 2),
        ("IPv6 UDP to port 53 in two fragments behind a hop-by-hop header (the later one "
         "follows its first)",
         [f for i in range(N // 2) for f in udp53_frags(3200 + i, 0x5300 + i)], 1),
    ]
    good = eth6("2001:db8:9::1", "2001:db8:2::1", UDP(sport=5, dport=53))
    longer = bytearray(good)
    longer[18:20] = (len(good) - 14 - 40 + 1).to_bytes(2, "big")   # payload length past the frame
    cut_udp = bytearray(good[:14 + 40 + 6])
    cut_udp[18:20] = (6).to_bytes(2, "big")                        # a 6-byte UDP header
    v4 = bytearray(good)
    v4[14] = 0x40                                                  # version 4
    # a hop-by-hop header of 16 bytes in a payload of 8
    cut_ext = eth6("2001:db8:9::1", "2001:db8:2::1", Raw(b"\x11\x01" + bytes(6)))
    cut_ext = bytearray(cut_ext)
    cut_ext[20] = 0                                                # next header: hop-by-hop
    # nine extension headers before UDP
    nine = eth6("2001:db8:9::1", "2001:db8:2::1",
                IPv6ExtHdrHopByHop() / (IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                        / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                        / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
                                        / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt())
                / UDP(sport=5, dport=53))
    g.append(("truncated or malformed IPv6", [bytes(longer), bytes(cut_udp), bytes(v4),
                                              good[:14 + 39], bytes(cut_ext), nine],
              "malformed"))
    return g


def expected(gs, moved=None):
    """(role 1, role 2, role 3, malformed) counts; @moved: (group name, role) overrides."""
    out = {1: 0, 2: 0, 3: 0, "malformed": 0}
    for name, frames, role in gs:
        out[moved[1] if moved and name == moved[0] else role] += len(frames)
    return (out[1], out[2], out[3], out["malformed"])


def main():
    env = nvenv.setup("rules6", timeout=170, description=__doc__)
    chk = check.Checker("rules6")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, "manager/netvmctl"])
    inj = Injector(env)
    core = Core(env, "r6", CONFIG, [inj.vdev(0), "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts with IPv6 rules in its file", err or ""):
        env.done(chk)
    nfs = [Nf(env, core, nvenv.BRIDGE_BIN, r, name=f"role{r}") for r in (1, 2, 3)]
    for nf in nfs:
        err = nf.start_attached()
        if not chk.ok(err is None, f"{nf.name} attaches", err or ""):
            env.done(chk)
    keys = tuple(f"nf{nf.id}_rx" for nf in nfs) + ("drop_malformed",)

    def nv(*args):
        return ctl.netvmctl(env, ["-c", core.sock] + list(args))

    gs = groups()
    chk.section("the file's rules")
    rc, out, err = nv("rule", "list")
    chk.eq(out, RULE_LIST, "rule list prints the IPv6 prefixes as given")
    for name, frames, role in gs:
        got = sent_through(chk, core, inj, frames, name, keys)
        want = tuple(len(frames) if role == r else 0 for r in (1, 2, 3, "malformed"))
        chk.eq(got, want, f"{name}: to {role if role == 'malformed' else f'role {role}'}")

    chk.section("rule add / rule del with IPv6 prefixes")
    frames = [f for _n, fs, _r in gs for f in fs]
    rc, out, err = nv("rule", "add", "1",
                      '{ src = "2001:db8:9::/48"; dst = "2001:db8:2::/64"; dport = 80; role = 2; }')
    chk.ok(rc == 0 and "rule 1 added: 6 rules" in out, "rule add 1 with IPv6 prefixes accepted",
           f"rc {rc} out {out!r} err {err!r}")
    rc, out, err = nv("rule", "list")
    chk.ok('1 { src = "2001:db8:9::/48"; dst = "2001:db8:2::/64"; dport = 80; role = 2; }\n'
           in out, "rule list shows the added rule", out)
    chk.eq(sent_through(chk, core, inj, frames, "all groups", keys),
           expected(gs, ("IPv6 TCP to 2001:db8:2::/64 port 80", 2)),
           "after rule add: the port-80 group to role 2, the rest as before")
    rc, out, err = nv("rule", "del", "1")
    chk.ok(rc == 0, "rule del 1", f"rc {rc} out {out!r} err {err!r}")
    chk.eq(sent_through(chk, core, inj, frames, "all groups", keys), expected(gs),
           "after rule del: as the file says")

    chk.section("bad IPv6 rules are refused with their reason")
    path = env.path("bad.conf")
    with open(path, "w") as f:
        f.write(BAD_FILE)
    for args, reason in (
            (["rule", "add", "0", '{ dst = "2001:db8::/129"; role = 1; }'],
             "rule add:1: rule[0].dst: '2001:db8::/129': prefix length must be 0..128"),
            (["rule", "add", "0", '{ src = "2001:db8::1/64"; role = 1; }'],
             "rule add:1: rule[0].src: '2001:db8::1/64' has bits set after the /64 prefix"),
            (["rule", "add", "0", '{ src = "10.0.0.0/8"; dst = "2001:db8::/32"; role = 1; }'],
             "rule add:1: rule[0].dst: '2001:db8::/32' is an IPv6 prefix, the rule's other "
             "prefix IPv4: a rule matches one family (write two rules)"),
            (["rule", "add", "0", '{ src = "2001:db8:::1"; role = 1; }'],
             "rule add:1: rule[0].src: '2001:db8:::1' is neither an IPv4 prefix"),
            (["core", "reload", path],
             ":7: rules[1].src: '2001:db8:1::1/48' has bits set after the /48 prefix")):
        rc, out, err = nv(*args)
        chk.ok(rc == 1 and reason in err, f"refused: {' '.join(args)[:50]}: '{reason[:60]}'",
               f"rc {rc} out {out!r} err {err!r}")
    rc, out, err = nv("rule", "list")
    chk.eq(out, RULE_LIST, "nothing changed: the file's rules are in force")

    chk.section("the DoS detector counts IPv6 SYNs, behind extension headers too")
    rc, out, err = nv("dos", "set", "syn_pps", "10")  # over 1 SYN in 100 ms into a role
    chk.ok(rc == 0, "dos set syn_pps 10", f"rc {rc} out {out!r} err {err!r}")
    to443 = [eth6(f"2001:db8:9::{i + 1:x}", "2001:db8:2::1", ext / TCP(sport=2200 + i, dport=443,
                                                                      flags=flags))
             for i in range(24)
             for ext, flags in ((IPv6ExtHdrHopByHop(), "SA"), (IPv6ExtHdrDestOpt(), "A"))]
    sent_through(chk, core, inj, to443, "SYN-ACKs and ACKs to role 2", keys)
    rc, out, err = nv("dos", "list")
    chk.ok(rc == 0 and "syn_role" not in out, "SYN-ACKs and ACKs: no role listed", out + err)
    syns = [eth6(f"2001:db8:9::{i + 1:x}", "2001:db8:2::1",
                 (IPv6ExtHdrHopByHop() if i % 2 else IPv6ExtHdrDestOpt())
                 / TCP(sport=2300 + i, dport=443, flags="S")) for i in range(48)]
    sent_through(chk, core, inj, syns, "SYNs behind extension headers to role 2", keys)
    rc, out, err = nv("dos", "list")
    chk.ok(rc == 0 and "syn_role 2 since_ms" in out and "syn_role 3" not in out,
           "48 SYNs behind extension headers: role 2 listed as SYN-flooded", out + err)
    rc, out, err = nv("dos", "set", "syn_pps", "0")
    chk.ok(rc == 0, "dos set syn_pps 0", f"rc {rc} out {out!r} err {err!r}")

    chk.section("shutdown")
    for nf in nfs:
        rc, _ = nf.stop_counters()
        chk.eq(rc, 0, f"{nf.name} exits 0")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
