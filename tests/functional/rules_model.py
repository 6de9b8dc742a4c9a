#!/usr/bin/env python3
"""rules_model: every frame's verdict against a reference of docs/config.md "rules".

Port 0 receives exactly the frames the test writes into it (nvtest.inject),
port 1 is a net_null sink. Four netvm-bridge instances, roles 1..4, send
every packet out of port 1. The rules mix IPv4, IPv6 and family-free rules,
prefixes of /0, /1, /31, /32, /64, /127 and /128, port ranges touching 0 and
65535, protocols by name and number, in_port, a drop rule, a rule with no
key but in_port, and a default.

The frames, written byte by byte: TCP, UDP, ICMP, GRE and SCTP over IPv4
and IPv6, with addresses and ports on and just off each rule's edges; IPv6
behind extension headers (hop-by-hop, routing, destination options, AH,
fragment: the protocol and ports past them, a later fragment's protocol
with no ports); one frame in four
behind one 802.1Q tag; ARP, LLDP, QinQ and a frame with two 802.1Q tags
(other traffic: only rules on in_port alone match); and malformed IPv4 and
IPv6, an extension header cut short or nine of them among the latter
(dropped as drop_malformed). No IPv4 fragment: net_af_packet's socket
reassembles them, so a lone one never reaches the core here (test_cls
classifies them).

The test's own parser and first-match loop, written from the docs' text,
say where each frame goes; the frames it sends one way are sent together,
and only that counter (an NF's nf<I>_rx, drop_rule_drop, drop_no_rule,
drop_malformed) must move, by their number. The same frames again after
`netvmctl rule del` and `rule add` (a rule of each family before the
others, one on in_port alone) and `default set`, and after `core reload`
of a file whose order is reversed (without the rules that catch
everything: the default drops).
"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, ctl  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

HEAD = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
"""
RULES = [
    '{ in_port = 1; role = 1; }',
    '{ src = "10.0.0.1/32"; dport = 0; role = 2; }',
    '{ dst = "10.255.255.254/31"; proto = 17; role = 3; }',
    '{ src = "2001:db8::1"; sport = "65535"; role = 1; }',
    '{ dst = "2001:db8:0:1::/64"; proto = "tcp"; dport = "1-1023"; role = 2; }',
    '{ src = "128.0.0.0/1"; sport = 65535; role = 3; }',
    '{ src = "8000::/1"; dst = "::/0"; role = 4; }',
    '{ proto = 47; role = 1; }',
    '{ proto = "icmp6"; in_port = 0; role = 2; }',
    '{ dst = "2001:db8::fffe/127"; sport = "0"; role = 3; }',
    '{ dport = "0"; action = "drop"; }',
    '{ proto = "udp"; sport = "0-65535"; dport = "53"; role = 3; }',
    '{ src = "0.0.0.0/0"; proto = 0; dport = "1024-65535"; role = 4; }',
    '{ dst = "::/0"; in_port = 0; sport = "0-65535"; role = 2; }',
    '{ role = 3; }',
]
DEFAULT = '{ role = 1; }'


def config(rules, default=DEFAULT):
    return HEAD + "rules = (\n  " + ",\n  ".join(rules) + "\n);\ndefault = " + default + ";\n"


# ---- the reference: docs/config.md "rules", read literally ----

PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "icmp6": 58}


def parse_prefix(text):
    """(family or 0 for a /0, int value, length, bits of the family)."""
    addr, _, plen = text.partition("/")
    six = ":" in addr
    bits = 128 if six else 32
    raw = socket_aton(addr, six)
    length = int(plen) if plen else bits
    return (6 if six else 4) if length else 0, int.from_bytes(raw, "big"), length, bits


def socket_aton(addr, six):
    return socket.inet_pton(socket.AF_INET6 if six else socket.AF_INET, addr)


def parse_ports(v):
    if isinstance(v, int):
        return v, v
    lo, _, hi = v.partition("-")
    return int(lo), int(hi or lo)


def parse_rule(text):
    """A rule of RULES as a dict: in_port, proto, src, dst, sport, dport, target."""
    r = {"in_port": None, "proto": 0, "src": None, "dst": None, "sport": (0, 65535),
         "dport": (0, 65535), "family": 0}
    for item in text.strip("{} ").split(";"):
        if not item.strip():
            continue
        key, _, val = (s.strip() for s in item.partition("="))
        val = val.strip('"') if val.startswith('"') else int(val)
        if key == "in_port":
            r[key] = val
        elif key == "proto":
            r[key] = PROTO[val] if isinstance(val, str) else val
        elif key in ("src", "dst"):
            r[key] = parse_prefix(val)
            if r[key][0]:
                r["family"] = r[key][0]
        elif key in ("sport", "dport"):
            r[key] = parse_ports(val)
        elif key == "role":
            r["target"] = ("role", val)
        elif key == "action":
            r["target"] = ("drop",)
    r["constrains"] = (r["proto"] != 0 or r["family"] != 0 or r["sport"] != (0, 65535) or
                       r["dport"] != (0, 65535))
    return r


def frame_fields(frame):
    """What the docs say a packet's fields are: (kind, fields) with kind
    'ipv4', 'ipv6', 'other' or 'malformed'."""
    off, etype = 14, struct.unpack("!H", frame[12:14])[0]
    if etype == 0x8100:  # one 802.1Q tag is skipped
        etype, off = struct.unpack("!H", frame[16:18])[0], 18
    ip = frame[off:]
    if etype == 0x0800:
        if len(ip) < 20 or ip[0] >> 4 != 4:
            return "malformed", None
        ihl, tot = (ip[0] & 15) * 4, struct.unpack("!H", ip[2:4])[0]
        if ihl < 20 or tot < ihl or tot > len(ip):
            return "malformed", None
        proto, sport, dport = ip[9], 0, 0
        if struct.unpack("!H", ip[6:8])[0] & 0x1fff == 0 and proto in (6, 17):
            if tot - ihl < (20 if proto == 6 else 8):
                return "malformed", None
            sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        return "ipv4", (proto, int.from_bytes(ip[12:16], "big"),
                        int.from_bytes(ip[16:20], "big"), sport, dport)
    if etype == 0x86dd:
        if len(ip) < 40 or ip[0] >> 4 != 6:
            return "malformed", None
        plen, sport, dport = struct.unpack("!H", ip[4:6])[0], 0, 0
        if plen > len(ip) - 40:
            return "malformed", None
        walked = walk6(ip, 40 + plen)
        if walked is None:
            return "malformed", None
        nh, at = walked
        if at and nh in (6, 17):
            if 40 + plen - at < (20 if nh == 6 else 8):
                return "malformed", None
            sport, dport = struct.unpack("!HH", ip[at:at + 4])
        return "ipv6", (nh, int.from_bytes(ip[8:24], "big"), int.from_bytes(ip[24:40], "big"),
                        sport, dport)
    return "other", None


def walk6(ip, end):
    """(protocol, offset of its header) past the IPv6 extension headers in
    the first @end bytes of @ip (offset 0: a later fragment, the protocol its
    fragment header's), or None when one is cut short or more than 8 come
    first (docs/config.md)."""
    nh, at, n = ip[6], 40, 0
    while nh in (0, 43, 44, 51, 60):
        if n == 8 or end - at < 8:
            return None
        if nh == 44:
            if struct.unpack("!H", ip[at + 2:at + 4])[0] & 0xfff8:
                return ip[at], 0
            size = 8
        elif nh == 51:
            size = (ip[at + 1] + 2) * 4
        else:
            size = (ip[at + 1] + 1) * 8
        if size > end - at:
            return None
        nh, at, n = ip[at], at + size, n + 1
    return nh, at


def in_prefix(p, addr):
    if p is None or p[2] == 0:
        return True
    _fam, val, length, bits = p
    return (addr ^ val) >> (bits - length) == 0


def verdict(rules, default, frame, in_port=0):
    """'role N', 'drop_rule_drop', 'drop_no_rule' or 'drop_malformed'."""
    kind, f = frame_fields(frame)
    if kind == "malformed":
        return "drop_malformed"
    target = None
    for r in rules:
        if r["in_port"] is not None and r["in_port"] != in_port:
            continue
        if kind == "other":
            if r["constrains"]:
                continue
        else:
            fam = 4 if kind == "ipv4" else 6
            proto, src, dst, sport, dport = f
            if r["family"] not in (0, fam):
                continue
            if r["proto"] not in (0, proto):
                continue
            if not (in_prefix(r["src"], src) and in_prefix(r["dst"], dst)):
                continue
            if not (r["sport"][0] <= sport <= r["sport"][1] and
                    r["dport"][0] <= dport <= r["dport"][1]):
                continue
        target = r["target"]
        break
    if target is None:
        target = default["target"]
        if target[0] == "drop":
            return "drop_no_rule"
    return f"role {target[1]}" if target[0] == "role" else "drop_rule_drop"


# ---- the frames ----

MACS = bytes.fromhex("020000000002" "020000000001")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload, frag=0, tot_adj=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload) + tot_adj, 1, frag, 64, proto,
                      0, socket_aton(src, False), socket_aton(dst, False))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ip6(src, dst, nh, payload, plen_adj=0):
    return (struct.pack("!IHBB", 6 << 28, len(payload) + plen_adj, nh, 64) +
            socket_aton(src, True) + socket_aton(dst, True) + payload)


def l4(proto, sport, dport, n=12):
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x10, 1024, 0, 0) + bytes(n)
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + n, 0) + bytes(n)
    # ICMP, GRE, SCTP, ...: bytes that would read as these ports if taken as ports
    return struct.pack("!HH", sport, dport) + bytes(4 + n)


def eth(etype, payload, vlan=False):
    tag = struct.pack("!HH", 0x8100, 0x0064) if vlan else b""
    frame = MACS + tag + struct.pack("!H", etype) + payload
    return frame + bytes(max(0, 60 - len(frame)))


def frames():
    """(name, frame) of every frame the test sends."""
    out = []
    edge_ports = (0, 1, 53, 1023, 1024, 65534, 65535)
    v4_addrs = ("10.0.0.1", "10.0.0.0", "10.0.0.2", "10.255.255.254", "10.255.255.255",
                "10.255.255.253", "127.255.255.255", "128.0.0.0", "255.255.255.255", "0.0.0.0")
    v6_addrs = ("2001:db8::1", "2001:db8::", "2001:db8::2", "2001:db8:0:1::",
                "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:2::", "2001:db8::fffe",
                "2001:db8::ffff", "2001:db8::fffd", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::")
    seq = 0
    for proto in (6, 17, 1, 47, 132):
        for i, (src, dst) in enumerate((s, d) for s in v4_addrs for d in v4_addrs[3:6]):
            sp, dp = edge_ports[(i + proto) % 7], edge_ports[(i * 3 + seq) % 7]
            seq += 1
            p = ip4(src, dst, proto, l4(proto, sp, dp))
            out.append((f"IPv4 {proto} {src}:{sp} > {dst}:{dp}", eth(0x0800, p, vlan=i % 4 == 0)))
    for proto in (6, 17, 58, 47, 132):
        for i, (src, dst) in enumerate((s, d) for s in v6_addrs for d in v6_addrs[3:9]):
            if (i + proto) % 3:
                continue
            sp, dp = edge_ports[(i + proto) % 7], edge_ports[(i * 5 + seq) % 7]
            seq += 1
            p = ip6(src, dst, proto, l4(proto, sp, dp))
            out.append((f"IPv6 {proto} [{src}]:{sp} > [{dst}]:{dp}",
                        eth(0x86dd, p, vlan=i % 4 == 1)))
    # IPv6 behind extension headers: the rules see the protocol and ports
    # past them (a later fragment: its protocol, no ports)
    hbh, dst16 = bytes([0, 0]) + bytes(6), bytes([0, 1]) + bytes(14)
    ah12, frag0, frag_later = bytes([0, 1]) + bytes(10), bytes(8), struct.pack("!BBHI", 0, 0, 8, 7)

    def chain(*exts):
        """The headers @exts (each's first byte its next header), upper last."""
        nhs = [e[1] for e in exts[1:]]
        body = b"".join(bytes([nh]) + e[0][1:] for e, nh in zip(exts[:-1], nhs))
        return exts[0][1], body + exts[-1][0]

    for src in ("2001:db8::1", "8000::1", "2001:db8::5"):
        for name, (nh, p) in (
                ("fragment header", chain((frag0, 44), (l4(17, 65535, 53), 17))),
                ("hop-by-hop", chain((hbh, 0), (l4(6, 1023, 53), 6))),
                ("hop-by-hop, routing, dest. options",
                 chain((hbh, 0), (dst16, 43), (dst16, 60), (l4(17, 0, 1024), 17))),
                ("AH", chain((ah12, 51), (l4(6, 65535, 1), 6))),
                ("later fragment", chain((hbh, 0), (frag_later, 44), (l4(17, 53, 53), 17))),
                ("hop-by-hop before ICMPv6", chain((hbh, 0), (l4(58, 1, 53), 58)))):
            out.append((f"IPv6 {name} from {src}", eth(0x86dd, ip6(src, "2001:db8::fffe", nh, p))))
    # other traffic
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes(6), bytes(4), bytes(6),
                      bytes(4))
    out.append(("ARP", eth(0x0806, arp)))
    out.append(("ARP behind 802.1Q", eth(0x0806, arp, vlan=True)))
    out.append(("LLDP", eth(0x88cc, bytes(30))))
    inner = ip4("10.0.0.1", "10.255.255.254", 17, l4(17, 53, 53))
    out.append(("QinQ (0x88a8) around IPv4", MACS + struct.pack("!HHHH", 0x88a8, 100, 0x8100, 200)
                + struct.pack("!H", 0x0800) + inner))
    out.append(("two 802.1Q tags around IPv4", MACS + struct.pack("!HHHH", 0x8100, 100, 0x8100,
                                                                  200)
                + struct.pack("!H", 0x0800) + inner))
    # malformed
    good4 = ip4("10.9.0.1", "10.9.0.2", 17, l4(17, 1, 2))
    out.append(("IPv4 total length past the frame",
                MACS + struct.pack("!H", 0x0800) + ip4("10.9.0.1", "10.9.0.2", 17,
                                                       l4(17, 1, 2, 40), tot_adj=1)))
    bad = bytearray(good4)
    bad[0] = 0x44
    out.append(("IPv4 header length 16", eth(0x0800, bytes(bad))))
    out.append(("IPv4 UDP header cut", MACS + struct.pack("!H", 0x0800) +
                ip4("10.9.0.1", "10.9.0.2", 17, b"\0" * 7) + bytes(40)))
    good6 = ip6("2001:db8::1", "2001:db8::2", 17, l4(17, 65535, 2))
    out.append(("IPv6 payload length past the frame",
                MACS + struct.pack("!H", 0x86dd) + ip6("2001:db8::1", "2001:db8::2", 17,
                                                       l4(17, 1, 2), plen_adj=1)))
    bad = bytearray(good6)
    bad[0] = 0x40
    out.append(("IPv6 version 4", eth(0x86dd, bytes(bad))))
    out.append(("IPv6 hop-by-hop header cut short",
                eth(0x86dd, ip6("2001:db8::1", "2001:db8::2", 0, bytes([17, 1]) + bytes(6)))))
    nine = b"".join(bytes([60, 0]) + bytes(6) for _ in range(8)) + bytes([17, 0]) + bytes(6)
    out.append(("IPv6 nine extension headers",
                eth(0x86dd, ip6("2001:db8::1", "2001:db8::2", 0, nine + l4(17, 1, 2)))))
    out.append(("IPv6 TCP header cut behind hop-by-hop",
                eth(0x86dd, ip6("2001:db8::1", "2001:db8::2", 0, bytes([6, 0]) + bytes(6)
                                + bytes(19)))))
    return out


def main():
    env = nvenv.setup("rules_model", timeout=280, description=__doc__)
    chk = check.Checker("rules_model")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, "manager/netvmctl"])
    inj = Injector(env)
    core = Core(env, "rm", config(RULES), [inj.vdev(0), "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    nfs = [Nf(env, core, nvenv.BRIDGE_BIN, r, name=f"role{r}") for r in (1, 2, 3, 4)]
    for nf in nfs:
        err = nf.start_attached()
        if not chk.ok(err is None, f"{nf.name} attaches", err or ""):
            env.done(chk)
    keys = {f"nf{nf.id}_rx": f"role {r}" for nf, r in zip(nfs, (1, 2, 3, 4))}
    for k in ("drop_rule_drop", "drop_no_rule", "drop_malformed"):
        keys[k] = k
    fs = frames()

    def nv(*args):
        return ctl.netvmctl(env, ["-c", core.sock] + list(args))

    def send(batch):
        """Send @batch; the counters' deltas once they account for all of it."""
        st0 = core.stats()
        inj.send(batch)
        ok, st = core.tel.wait_for(
            lambda s: s.get("port0_rx", -1) >= inj.sent and
            sum(s.get(k, 0) - st0.get(k, 0) for k in keys) >= len(batch), 10)
        return ok, {keys[k]: st.get(k, 0) - st0.get(k, 0) for k in keys
                    if st.get(k, 0) != st0.get(k, 0)}

    def judge(rules, default, what):
        """Send the frames the reference sends one way together: that counter
        alone must move, by their number; then name the frames of a group that
        did not, each sent alone."""
        parsed = [parse_rule(r) for r in rules]
        dflt = parse_rule(default)
        groups = {}
        for name, frame in fs:
            groups.setdefault(verdict(parsed, dflt, frame), []).append((name, frame))
        for want, group in sorted(groups.items()):
            ok, moved = send([f for _n, f in group])
            good = ok and moved == {want: len(group)}
            wrong = []
            for name, frame in group if not good else ():
                ok, one = send([frame])
                if not ok or one != {want: 1}:
                    wrong.append(f"{name}: {one or 'nothing'}")
                if len(wrong) == 10:
                    break
            chk.ok(good, f"{what}: the {len(group)} frames the reference sends to {want}",
                   f"moved {moved}\n      " + "\n      ".join(wrong))
        # the frames must take many ways for the comparison to mean anything
        chk.ge(len(groups), 5, f"{what}: the frames take {len(groups)} ways")

    chk.section("the file's rules")
    judge(RULES, DEFAULT, "file")

    chk.section("rule del, rule add of both families, default set, while the core runs")
    rules = list(RULES)
    rc, out, err = nv("rule", "del", "10")
    chk.eq(rc, 0, f"rule del 10: {out.strip()} {err.strip()}")
    del rules[10]
    for at, text in ((0, '{ src = "10.255.255.254/31"; sport = "65535"; action = "drop"; }'),
                     (1, '{ dst = "2001:db8::/126"; dport = "65534-65535"; role = 4; }'),
                     (len(rules) + 1, '{ in_port = 0; role = 1; }')):  # before the last
        rc, out, err = nv("rule", "add", str(at), text)
        chk.eq(rc, 0, f"rule add {at}: {out.strip()} {err.strip()}")
        rules.insert(at, text)
    rc, out, err = nv("default", "set", '{ action = "drop"; }')
    chk.eq(rc, 0, f"default set: {out.strip()} {err.strip()}")
    judge(rules, '{ action = "drop"; }', "after the changes")

    chk.section("core reload of the rules in reverse order, without the two catching all")
    rules = list(reversed(RULES[:-2]))
    path = env.path("reversed.conf")
    with open(path, "w") as f:
        f.write(config(rules, '{ action = "drop"; }'))
    rc, out, err = nv("core", "reload", path)
    chk.eq(rc, 0, f"core reload: {out.strip()} {err.strip()}")
    judge(rules, '{ action = "drop"; }', "reversed")

    chk.section("shutdown")
    for nf in nfs:
        rc, _ = nf.stop_counters()
        chk.eq(rc, 0, f"{nf.name} exits 0")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
