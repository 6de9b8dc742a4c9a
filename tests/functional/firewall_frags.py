#!/usr/bin/env python3
"""firewall_frags: fragmented datagrams through two firewall instances of one role.

Port 0 replays, in this order (all frames enter port 0; the firewall's
allow action "pair" sends what it allows out of port 1):

  - 48 UDP requests from inside clients to port 5353 of outside servers
    (32 IPv4, 16 IPv6), which the rules let open a connection;
  - each one's reply, 2400 bytes of payload cut into 3 fragments (IPv6: a
    fragment header right after the fixed header): the first carries the
    ports and is of a known connection (established); the two later ones
    carry no ports;
  - a datagram to port 7777, 3 fragments: the rules deny its first fragment,
    while a later rule would allow fragments without ports (dst host
    198.51.100.9);
  - one more reply whose two later fragments come before its first;
  - a TCP fragment at offset 8 to 198.51.100.9 (RFC 1858: it could rewrite
    a first fragment's ports or flags), which the last rule would allow.

The core engine hands a first IPv6 fragment to the instance of its
connection (the flow hash of its UDP ports, not of the fragment header's
protocol) and a later fragment to the instance of its first fragment
(core/frags.h: the same flow hash); each instance gives a later fragment
what its first fragment got, so:

  - port 1 sends the 48 requests and all 3 x 48 reply fragments, byte for
    byte as they came, each datagram's fragments in order; nothing of the
    7777 datagram; of the reordered reply only its first fragment;
  - the instances' counters add up to allowed_new 48, established 49,
    frag_allowed 96, denied 1 and frag_dropped 2 (the 7777 datagram),
    no_match 2 (the reordered reply's later fragments: no first fragment
    yet, and no rule allows them), malformed 1 (the TCP fragment at offset
    8), stray 0; both instances opened some;
  - the core counts rx_frag_followed 98 and rx_frag_alone 3.

Run four times: with a rule per input port (the core classifies every
frame), with no rule and role 1 as the default (the core's one-pass default
path), with a core rule that drops UDP to port 7777 (the core drops the
whole 7777 datagram, rule_drop 3, and the firewall never sees it), and with
core.rx_parse = "when_needed" and a chain whose first role is one bridge
returning NEXT (the core hands every frame to the bridge unread, rx_unread,
and reads it when the bridge passes it on to role 1: read_late()).

A core that hashes a later fragment by itself spreads it over both
instances (the one without the first fragment drops it as no_match); a
firewall that does not follow first fragments drops every later fragment
of the replies (no_match): either way the test fails.
"""

import os
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, UDP, fragment  # noqa: E402
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, fragment6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import NfSpec, replay  # noqa: E402

RULES = """in 0 deny udp and dst port 7777
in 0 allow udp and dst port 5353
in 0 allow dst host 198.51.100.9
"""

CONFIGS = {
    "per-port rule": ("rules = ( { in_port = 0; role = 1; } );\n"
                      "default = { action = \"drop\"; };\n"),
    "default only": "default = { role = 1; };\n",
    "core drops 7777": ("rules = ( { proto = \"udp\"; dport = \"7777\"; action = \"drop\"; },\n"
                        "          { in_port = 0; role = 1; } );\n"
                        "default = { action = \"drop\"; };\n"),
    "unread, then a chain": ("chains = ( { name = \"c\"; roles = [ 3, 1 ]; } );\n"
                             "rules = ( { in_port = 0; chain = \"c\"; } );\n"
                             "default = { action = \"drop\"; };\n"),
}
UNREAD = "unread, then a chain"

FLOWS = 48  # the first 32 IPv4, the last 16 IPv6
FLOWS4 = 32
MACS = dict(src="02:00:00:00:01:02", dst="02:00:00:00:02:02")


def frags(ip, udp, payload):
    """The frames of @ip / @udp / @payload cut into fragments of at most 1000
    bytes (IPv6: with a fragment header right after the fixed header)."""
    if isinstance(ip, IPv6):
        pkt = ip / IPv6ExtHdrFragment(id=ip.fl) / udp / Raw(payload)
        return [bytes(Ether(**MACS) / f) for f in fragment6(pkt, 1000)]
    return [bytes(Ether(**MACS) / f) for f in fragment(ip / udp / Raw(payload), fragsize=1000)]


def traffic():
    """(frames, requests, replies, denied, late): the frames in replay order, and
    the parts the checks look for."""
    requests, replies = [], []
    for i in range(FLOWS):
        sport = 20000 + 13 * i
        if i < FLOWS4:
            client, server = f"10.0.{1 + i % 4}.{10 + i}", f"192.0.2.{1 + i % 7}"
            ask, answer = IP(src=client, dst=server, id=100 + i), IP(src=server, dst=client,
                                                                       id=4000 + i)
        else:
            client, server = f"2001:db8:1::{10 + i:x}", f"2001:db8:2::{1 + i % 7:x}"
            # the fragment header's identification: the flow label given here
            ask, answer = IPv6(src=client, dst=server), IPv6(src=server, dst=client,
                                                            fl=70000 + i)
        requests.append(bytes(Ether(**MACS) / ask / UDP(sport=sport, dport=5353)
                              / Raw(b"q" * 30)))
        replies.append(frags(answer, UDP(sport=5353, dport=sport), bytes([i]) * 2400))
    denied = frags(IP(src="10.0.9.9", dst="198.51.100.9", id=777),
                   UDP(sport=4000, dport=7777), b"d" * 2400)
    late = frags(IP(src="192.0.2.1", dst="10.0.1.10", id=999),
                 UDP(sport=5353, dport=20000), b"l" * 2400)
    tiny = bytes(Ether(**MACS) / IP(src="10.0.9.8", dst="198.51.100.9", proto=6, frag=1, id=5)
                 / Raw(b"t" * 40))
    frames = (requests + [f for r in replies for f in r] + denied + late[1:] + late[:1]
              + [tiny])
    return frames, requests, replies, denied, late


def pad(frame):
    return frame + b"\0" * max(0, 60 - len(frame))


def check_run(chk, tag, res, parts, core_drops_7777, fw_idx):
    _frames, requests, replies, _denied, late = parts
    out1 = res.out.get(1) or []
    got = [bytes(f) for f in out1]
    chk.eq(len(res.out.get(0) or []), 0, f"{tag}: nothing leaves by port 0")
    want = [pad(f) for f in requests] + [pad(f) for r in replies for f in r] + [pad(late[0])]
    missing = Counter(want) - Counter(got)
    extra = Counter(got) - Counter(want)
    chk.ok(not missing and not extra,
           f"{tag}: port 1 sends the requests, every reply fragment and the reordered "
           f"reply's first fragment, as they came",
           f"{sum(missing.values())} of {len(want)} missing, {sum(extra.values())} frames "
           f"not expected")
    for i, r in enumerate(replies):
        at = [got.index(pad(f)) if pad(f) in got else -1 for f in r]
        if at != sorted(at) or -1 in at:
            chk.ok(False, f"{tag}: reply {i}'s fragments leave in order", f"positions {at}")
            break
    else:
        chk.ok(True, f"{tag}: every reply's fragments leave in order")
    fw_counters = [res.nf_counters[i] if i < len(res.nf_counters) else {} for i in fw_idx]
    total = {}
    for cnt in fw_counters:
        for k, v in (cnt or {}).items():
            total[k] = total.get(k, 0) + v
    want_fw = {"allowed_new": FLOWS, "established": FLOWS + 1, "frag_allowed": 2 * FLOWS,
               "no_match": 2, "stray": 0, "ct_invalid": 0, "malformed": 1,
               "denied": 0 if core_drops_7777 else 1,
               "frag_dropped": 0 if core_drops_7777 else 2}
    for k, v in want_fw.items():
        chk.eq(total.get(k, 0), v, f"{tag}: the instances' {k} add up to {v}")
    opened = [(cnt or {}).get("allowed_new", 0) for cnt in fw_counters]
    chk.ok(len(opened) == 2 and all(opened), f"{tag}: both instances opened connections",
           f"allowed_new per instance {opened}")
    st = res.live
    # the replies' later fragments and the 7777 datagram's (followed to the
    # firewall instance, or to the core's drop)
    chk.eq(st.get("rx_frag_followed"), 2 * FLOWS + 2, f"{tag}: core rx_frag_followed")
    chk.eq(st.get("rx_frag_alone"), 3,
           f"{tag}: core rx_frag_alone (the reordered reply's, the TCP fragment at offset 8)")
    chk.eq(st.get("drop_rule_drop", 0), 3 if core_drops_7777 else 0,
           f"{tag}: core drop_rule_drop (the whole 7777 datagram when the core drops it)")


def main():
    env = nvenv.setup("firewall_frags", timeout=300, description=__doc__)
    chk = check.Checker("firewall_frags")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.FIREWALL_BIN])
    rules = env.path("fw.rules")
    with open(rules, "w") as f:
        f.write(RULES)
    parts = traffic()
    for k, (name, config) in enumerate(CONFIGS.items()):
        tag = f"firewall_frags ({name})"
        nfs = [NfSpec(nvenv.FIREWALL_BIN, 1, ["--rules", rules], f"fw{k}a"),
               NfSpec(nvenv.FIREWALL_BIN, 1, ["--rules", rules], f"fw{k}b")]
        extra = ""
        if name == UNREAD:
            nfs.insert(0, NfSpec(nvenv.BRIDGE_BIN, 3, ["--next"], f"br{k}"))
            extra = 'rx_parse = "when_needed";\n'
        res = replay(env, chk, f"ff{k}", config, parts[0], nfs, core_extra=extra)
        if not res.ok:
            continue
        check_run(chk, tag, res, parts, name == "core drops 7777",
                  [1, 2] if name == UNREAD else [0, 1])
        if name == UNREAD:
            chk.eq(res.live.get("rx_unread"), len(parts[0]),
                   f"{tag}: every frame handed to the bridge unread (rx_unread)")
    env.done(chk)


if __name__ == "__main__":
    main()
