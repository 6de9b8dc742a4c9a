#!/usr/bin/env python3
"""firewall: the stateful firewall's verdicts, frame by frame.

Ports 0 ("inside") and 1 ("outside") are veth pairs: the test writes each
frame into one port (nvtest.inject) and captures what the core sends out of
both (nvtest.capture). Every packet goes to role 1, netvm-firewall, whose
allow action is "pair" (out of the other port). Frames are sent one at a
time, each only after the previous one is through, so the order of the
captures is known.

  rules     allowed and denied by rules; names from define lines; port (in)
            and direction (dir) conditions; an output mapped to "out 1";
            replies of allowed connections (TCP, UDP, ICMP echo) pass with no
            rule; an echo request from the other end of a ping with the same
            id is that end's own ping, for the rules; an ICMP error about a
            known connection passes; an ACK out
            of nowhere and an unsolicited echo reply are dropped, even when an
            allow rule matches their tuple, but a "stateless" rule lets such
            an ACK through; ICMP errors whose quote names no connection (sent
            to the quoted destination, about GRE, about an error) go to the
            stateless rules, one with its quote cut short is malformed; ARP
            is not IP; a reply written into the port its connection came in
            on is established all the same (the table keeps no ports); an
            ICMP timestamp reply is not tracked (all the rules, not only the
            stateless ones); the rules see IPv6 past its extension headers:
            a SYN to port 22 behind a hop-by-hop header (or three headers) is
            denied by the port-22 rule, a UDP query behind a destination
            options header is allowed by the UDP rule and its reply passes
  reload    SIGHUP with rules that deny new web connections: the connection
            opened before goes on both ways, a new one is denied; a file with
            an unknown protocol is refused with its line, column and rule
            number, the rules before stay; 10 reloads while established
            traffic flows lose no packet
  reuse     a SYN that reuses the tuple of a connection closed by a RST is a
            new connection: the rules decide (v1 allows it, v2 denies it), also
            when it comes from the other end; so is a SYN from the client of
            an established connection (it lost it), and the server's answer
            starts the connection again

Every expected verdict, counter and capture is written below by hand from
the rules and the frames; nothing is taken from the firewall's output.
"""

import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop,  # noqa: E402
                                IPv6ExtHdrRouting)
from scapy.layers.l2 import ARP, Ether  # noqa: E402

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Nf  # noqa: E402
from nvtest.fwframes import CONFIG, IN_MAC, inside, outside, pad  # noqa: E402
from nvtest.twoport import TwoPorts  # noqa: E402


RULES_V1 = """# port 0 is inside, port 1 outside
define inside 10.0.1.0/24
define web 10.0.2.80
2 = out 1
in 0 allow tcp and dst port 80 and dst host web and src net inside
dir 0>1 allow udp and dst port 53
in 0 deny tcp dst port 22
in 1 stateless allow tcp and src port 179
in 1 2 udp and dst port 7
allow icmp and icmp type echo
in 1 stateless allow icmp type unreachable
"""
# v2: inside may open no new web connection any more
RULES_V2 = RULES_V1.replace("in 0 allow tcp and dst port 80", "in 0 deny tcp and dst port 80")
# line 6, rule 2: "tcpx" is neither a protocol nor a defined name; the pattern
# starts in column 15
RULES_BAD = RULES_V1.replace("dir 0>1 allow udp and", "dir 0>1 allow tcpx and")
BAD_WHERE = ":6:15: rule 2:"

COUNTERS = ["established", "related", "allowed_new", "allowed_nostate", "denied",
            "no_match", "stray", "ct_invalid", "ct_full", "not_ip", "malformed", "bad_port"]


A, WEB, DNS = "10.0.1.2", "10.0.2.80", "10.0.2.53"
SYN = inside(IP(src=A, dst=WEB), TCP(sport=40000, dport=80, flags="S", seq=1000))
SYNACK = outside(IP(src=WEB, dst=A), TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001))
ACK = inside(IP(src=A, dst=WEB), TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001))
DATA = inside(IP(src=A, dst=WEB), TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001)
              / (b"x" * 10))
DATA_ACK = outside(IP(src=WEB, dst=A), TCP(sport=80, dport=40000, flags="A", seq=5001, ack=1011))
DNS_Q = inside(IP(src=A, dst=DNS), UDP(sport=5353, dport=53) / b"query")
DNS_R = outside(IP(src=DNS, dst=A), UDP(sport=53, dport=5353) / b"answer")
# the same reply written into port 0, the port its connection came in on
DNS_R_IN = inside(IP(src=DNS, dst=A), UDP(sport=53, dport=5353) / b"answer")
A6, B6 = "2001:db8:1::2", "2001:db8:2::80"
UNREACH = outside(IP(src=DNS, dst=A), ICMP(type=3, code=3)
                  / IP(src=A, dst=DNS) / UDP(sport=5353, dport=53) / b"query")
# ICMP errors from a router whose quote gives the tracker no connection to
# look up: for the stateless rules (rule 7 allows unreachables only)
RT = "10.0.2.1"
UNREACH_TO_DST = outside(IP(src=RT, dst=A), ICMP(type=3, code=1)
                         / IP(src=DNS, dst=A) / UDP(sport=53, dport=5353))
UNREACH_GRE = outside(IP(src=RT, dst=A), ICMP(type=3, code=1)
                      / IP(src=A, dst=DNS, proto=47) / (b"\0\0\x08\0" + b"\0" * 4))
EXCEEDED_ERR = outside(IP(src=RT, dst=A), ICMP(type=11, code=0)
                       / IP(src=A, dst="10.0.2.9") / ICMP(type=3, code=3)
                       / IP(src="10.0.2.9", dst=A) / UDP(sport=1, dport=2))
# a quote cut short: the IP header and 4 of the 8 bytes of its UDP header
UNREACH_SHORT = outside(IP(src=RT, dst=A), ICMP(type=3, code=1)
                        / bytes(IP(src=A, dst=DNS) / UDP(sport=5353, dport=53))[:24])

# a connection closed by a RST whose tuple a later SYN reuses (sport 40020)
def web2(flags, seq, ack=0, out=False):
    if out:
        return outside(IP(src=WEB, dst=A), TCP(sport=80, dport=40020, flags=flags, seq=seq,
                                               ack=ack))
    return inside(IP(src=A, dst=WEB), TCP(sport=40020, dport=80, flags=flags, seq=seq, ack=ack))


# an established connection (sport 40021) whose client loses it and opens the
# same tuple again
def web3(flags, seq, ack=0, out=False):
    if out:
        return outside(IP(src=WEB, dst=A), TCP(sport=80, dport=40021, flags=flags, seq=seq,
                                               ack=ack))
    return inside(IP(src=A, dst=WEB), TCP(sport=40021, dport=80, flags=flags, seq=seq, ack=ack))


# a connection (sport 40022) closed by a RST from the server, whose tuple the
# server then opens itself
def web4(flags, seq, ack=0, out=False):
    if out:
        return outside(IP(src=WEB, dst=A), TCP(sport=80, dport=40022, flags=flags, seq=seq,
                                               ack=ack))
    return inside(IP(src=A, dst=WEB), TCP(sport=40022, dport=80, flags=flags, seq=seq, ack=ack))


# (name, port it enters, frame, expected: out port or None, counter, rule number or None)
STEPS = [
    ("TCP SYN inside -> web:80", 0, SYN, 1, "allowed_new", 1),
    ("its SYN+ACK from outside", 1, SYNACK, 0, "established", None),
    ("its ACK", 0, ACK, 1, "established", None),
    ("its data", 0, DATA, 1, "established", None),
    ("the data's ACK", 1, DATA_ACK, 0, "established", None),
    ("an ACK out of nowhere inside -> web:80 (rule 1's tuple, but no SYN)", 0,
     inside(IP(src=A, dst=WEB), TCP(sport=40009, dport=80, flags="A")), None, "stray", None),
    ("an ACK out of nowhere from outside", 1,
     outside(IP(src="10.0.2.99", dst=A), TCP(sport=80, dport=41000, flags="A")),
     None, "stray", None),
    ("TCP SYN outside -> inside:22 (no rule for port 1)", 1,
     outside(IP(src="10.0.2.5", dst=A), TCP(sport=50000, dport=22, flags="S")),
     None, "no_match", None),
    ("TCP SYN inside -> :22 (deny rule)", 0,
     inside(IP(src=A, dst=WEB), TCP(sport=40001, dport=22, flags="S")), None, "denied", 3),
    ("TCP SYN inside -> 10.0.2.81:80 (not the name 'web')", 0,
     inside(IP(src="10.0.1.9", dst="10.0.2.81"), TCP(sport=40002, dport=80, flags="S")),
     None, "no_match", None),
    ("TCP SYN 10.1.0.9 -> web:80 (not in the name 'inside')", 0,
     inside(IP(src="10.1.0.9", dst=WEB), TCP(sport=40003, dport=80, flags="S")),
     None, "no_match", None),
    ("UDP inside -> :53 (dir 0>1)", 0, DNS_Q, 1, "allowed_new", 2),
    ("its reply", 1, DNS_R, 0, "established", None),
    ("its reply written into port 0: the table keeps no ports, out of port 1", 0, DNS_R_IN,
     1, "established", None),
    ("UDP outside -> inside:53 (dir 0>1 excludes port 1)", 1,
     outside(IP(src="10.0.2.7", dst=A), UDP(sport=1000, dport=53)), None, "no_match", None),
    ("ICMP port unreachable about the DNS connection", 1, UNREACH, 0, "related", None),
    ("ACK out of nowhere from port 179 (stateless rule)", 1,
     outside(IP(src="10.0.2.9", dst=A), TCP(sport=179, dport=33000, flags="A")),
     0, "allowed_nostate", 4),
    ("ICMP unreachable to the quoted packet's destination (stateless rule 7)", 1,
     UNREACH_TO_DST, 0, "allowed_nostate", 7),
    ("ICMP unreachable about a GRE packet (stateless rule 7)", 1, UNREACH_GRE, 0,
     "allowed_nostate", 7),
    ("ICMP time exceeded about an ICMP error (no stateless rule matches)", 1, EXCEEDED_ERR,
     None, "stray", None),
    ("ICMP unreachable whose quote is cut short", 1, UNREACH_SHORT, None, "malformed", None),
    ("UDP outside -> :7 (output 2 = out 1)", 1,
     outside(IP(src="10.0.2.7", dst=A), UDP(sport=1000, dport=7)), 1, "allowed_new", 5),
    ("ICMP timestamp reply from outside: not tracked, no rule of port 1 matches", 1,
     outside(IP(src="10.0.2.9", dst=A), ICMP(type=14)), None, "no_match", None),
    ("IPv6 SYN inside -> :22 (deny rule 3)", 0,
     inside(IPv6(src=A6, dst=B6), TCP(sport=40030, dport=22, flags="S")), None, "denied", 3),
    ("IPv6 SYN inside -> :22 behind a hop-by-hop header (deny rule 3)", 0,
     inside(IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop(), TCP(sport=40031, dport=22, flags="S")),
     None, "denied", 3),
    ("IPv6 SYN inside -> :22 behind hop-by-hop, routing, dest. options (deny rule 3)", 0,
     inside(IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting()
            / IPv6ExtHdrDestOpt(), TCP(sport=40032, dport=22, flags="S")),
     None, "denied", 3),
    ("IPv6 UDP inside -> :53 behind a destination options header (rule 2)", 0,
     inside(IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt(), UDP(sport=5354, dport=53) / b"q"),
     1, "allowed_new", 2),
    ("its reply, no extension header", 1,
     outside(IPv6(src=B6, dst=A6), UDP(sport=53, dport=5354) / b"a"), 0, "established", None),
    ("ARP", 0, pad(Ether(src=IN_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=A, pdst=WEB)),
     None, "not_ip", None),
    ("echo request inside -> web", 0,
     inside(IP(src=A, dst=WEB), ICMP(type=8, id=7, seq=1)), 1, "allowed_new", 6),
    ("its echo reply", 1, outside(IP(src=WEB, dst=A), ICMP(type=0, id=7, seq=1)),
     0, "established", None),
    ("web pings the inside host with the same id: its own ping, the rules decide (rule 6)",
     1, outside(IP(src=WEB, dst=A), ICMP(type=8, id=7, seq=1)), 0, "allowed_new", 6),
    ("the inside host's reply to it", 0, inside(IP(src=A, dst=WEB), ICMP(type=0, id=7, seq=1)),
     1, "established", None),
    ("an echo reply nobody asked for", 1,
     outside(IP(src=WEB, dst=A), ICMP(type=0, id=99, seq=1)), None, "stray", None),
    ("TCP SYN inside -> web:80 from port 40020", 0, web2("S", 2000), 1, "allowed_new", 1),
    ("its SYN+ACK", 1, web2("SA", 6000, 2001, out=True), 0, "established", None),
    ("a RST from inside closes it", 0, web2("R", 2001), 1, "established", None),
    ("a SYN reusing its tuple opens a new connection: the rules decide (rule 1)", 0,
     web2("S", 3000), 1, "allowed_new", 1),
    ("TCP SYN inside -> web:80 from port 40021", 0, web3("S", 2000), 1, "allowed_new", 1),
    ("its SYN+ACK", 1, web3("SA", 6000, 2001, out=True), 0, "established", None),
    ("its ACK", 0, web3("A", 2001, 6001), 1, "established", None),
    ("the client lost it and opens its tuple again: the rules decide (rule 1)", 0,
     web3("S", 9000), 1, "allowed_new", 1),
    ("the server's SYN+ACK to the new SYN", 1, web3("SA", 4000, 9001, out=True), 0,
     "established", None),
    ("the new connection's ACK", 0, web3("A", 9001, 4001), 1, "established", None),
    ("the new connection's data", 1, web3("PA", 4001, 9001, out=True), 0, "established",
     None),
    ("TCP SYN inside -> web:80 from port 40022", 0, web4("S", 2000), 1, "allowed_new", 1),
    ("its SYN+ACK", 1, web4("SA", 6000, 2001, out=True), 0, "established", None),
    ("a RST from web closes it", 1, web4("R", 6001, out=True), 0, "established", None),
    ("web opens the tuple itself: the rules of port 1 decide (none matches)", 1,
     web4("S", 7000, out=True), None, "no_match", None),
]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def wait_line(nf, needle, count, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(needle in line for line in nf.stderr().splitlines()) >= count:
            return True
        time.sleep(0.05)
    return False


def rules_part(rig, chk):
    chk.section("verdicts of rules v1, frame by frame")
    expected_out = [[], []]
    expected_cnt = dict.fromkeys(COUNTERS, 0)
    expected_rule = {}
    for name, port, frame, out, counter, rule in STEPS:
        if not rig.send(port, [frame], name):
            return None
        if out is not None:
            expected_out[out].append(frame)
        expected_cnt[counter] += 1
        if rule is not None:
            pk, by = expected_rule.get(rule, (0, 0))
            expected_rule[rule] = (pk + 1, by + len(frame))
    got = rig.captured([len(x) for x in expected_out])
    for port in (0, 1):
        chk.eq(len(got[port]), len(expected_out[port]),
               f"port {port} sent exactly the {len(expected_out[port])} frames allowed to it")
        chk.ok(got[port] == expected_out[port],
               f"port {port}: the frames, byte for byte and in order",
               "differ: " + ", ".join(f"{i}" for i, (a, b) in
                                      enumerate(zip(got[port], expected_out[port])) if a != b))
    return expected_cnt, expected_rule


def reload_part(rig, chk, rules):
    nf = rig.nf
    chk.section("reload: deny new web connections")
    write(rules, RULES_V2)
    nf.send_signal(signal.SIGHUP)
    chk.ok(wait_line(nf, "SIGHUP: reloaded", 1), "the firewall reloaded", nf.tail(5))
    new_syn = inside(IP(src=A, dst=WEB), TCP(sport=40005, dport=80, flags="S"))
    for name, port, frame in (("data on the connection opened before", 0, DATA),
                              ("its ACK", 1, DATA_ACK),
                              ("a new SYN to web:80", 0, new_syn)):
        rig.send(port, [frame], name)
    got = rig.captured([1, 1])
    chk.eq(got, [[DATA_ACK], [DATA]],
           "the established connection goes on both ways; the new SYN is dropped")

    # the connection of port 40020 (opened again under v1) is closed; a SYN
    # that reuses its tuple is a new connection, which v2 denies
    steps = (("its SYN+ACK", 1, web2("SA", 7000, 3001, out=True)),
             ("a RST from inside closes it", 0, web2("R", 3001)),
             ("a SYN reusing its tuple", 0, web2("S", 4000)))
    for name, port, frame in steps:
        rig.send(port, [frame], name)
    got = rig.captured([1, 1])
    chk.eq(got, [[steps[0][2]], [steps[1][2]]],
           "a SYN reusing the tuple of a closed connection is judged by the rules in force "
           "(v2 denies it)")

    # the connection of port 40021 (opened again under v1) is established: a
    # SYN of its client on its tuple is a new connection, which v2 denies;
    # the connection goes on
    steps = (("a SYN of the client of port 40021", 0, web3("S", 12000)),
             ("its connection's data", 1, web3("PA", 4001, 9001, out=True)))
    for name, port, frame in steps:
        rig.send(port, [frame], name)
    got = rig.captured([1, 0])
    chk.eq(got, [[steps[1][2]], []],
           "a SYN on the tuple of an established connection is judged by the rules in force "
           "(v2 denies it); the connection goes on")

    chk.section("reload: a file with an error is refused")
    write(rules, RULES_BAD)
    nf.send_signal(signal.SIGHUP)
    chk.ok(wait_line(nf, "SIGHUP: reload failed", 1), "the file is refused", nf.tail(5))
    where = [line for line in nf.stderr().splitlines() if BAD_WHERE in line]
    chk.ok(len(where) == 1 and "tcpx" in where[0],
           f"the error names line 6, column 15, rule 2 and 'tcpx' ({BAD_WHERE})", nf.tail(5))
    chk.ok(nf.alive(), "the firewall runs on")
    rig.send(0, [new_syn], "the new SYN again")
    rig.send(0, [DNS_Q], "a DNS query (allowed by v1 and v2, not by the bad file)")
    got = rig.captured([0, 1])
    chk.eq(got, [[], [DNS_Q]], "the v2 rules stay in force")

    chk.section("10 reloads while established traffic flows")
    write(rules, RULES_V2)
    stop = threading.Event()
    reloads = [0]

    def reloader():
        for i in range(10):
            nf.send_signal(signal.SIGHUP)
            if not wait_line(nf, "SIGHUP: reloaded", 2 + i):
                return
            reloads[0] += 1
        stop.set()

    t = threading.Thread(target=reloader, daemon=True)
    t.start()
    batches = 0
    while not stop.is_set() and batches < 400 and t.is_alive():
        if not rig.send(0, [DATA] * 20, f"batch {batches}"):
            break
        batches += 1
    t.join(30)
    chk.eq(reloads[0], 10, "10 reloads done while the batches went")
    got = rig.captured([0, 20 * batches])
    chk.eq((len(got[0]), len(got[1])), (0, 20 * batches),
           f"every one of the {20 * batches} frames sent during them left by port 1")
    chk.ok(all(f == DATA for f in got[1]), "unchanged")
    return batches


def main():
    env = nvenv.setup("firewall", timeout=280, description=__doc__)
    chk = check.Checker("firewall")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.FIREWALL_BIN])
    rig = TwoPorts(env, chk, "fw", CONFIG)
    err = rig.core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    rules = env.path("fw.rules")
    write(rules, RULES_V1)
    rig.nf = Nf(env, rig.core, nvenv.FIREWALL_BIN, 1, ["--rules", rules], name="firewall")
    err = rig.nf.start_attached()
    if not chk.ok(err is None, "the firewall attaches", err or ""):
        env.done(chk)

    res = rules_part(rig, chk)
    if res is None:
        env.done(chk)
    expected_cnt, expected_rule = res
    batches = reload_part(rig, chk, rules)

    chk.section("counters")
    rc, counters = rig.nf.stop_counters()
    chk.eq(rc, 0, "the firewall exits 0 on SIGINT")
    # reload part: data, its ACK, the DNS query (its connection is still
    # there), port 40020's SYN+ACK and RST, port 40021's data and 20 * batches
    # frames of data established; the new SYN denied twice by v2's rule 1,
    # port 40020's reusing SYN and port 40021's SYN once each
    expected_cnt["established"] += 3 + 2 + 1 + 20 * batches
    expected_cnt["denied"] += 2 + 1 + 1
    chk.eq({k: counters.get(k) for k in COUNTERS}, expected_cnt, "the counters per reason")
    # the tracker's invalid packets: the 4 stray frames of rules v1 and the 3 of
    # no connection that stateless rules allowed (the ACK from port 179, two
    # unreachables)
    chk.eq(counters.get("ct_invalid_pkts"), 7, "ct_invalid_pkts: ct_invalid + the stray path")
    # the rule set in force is the last v2: it saw none of the frames before
    chk.eq({r: (counters.get(f"rule{r}_packets"), counters.get(f"rule{r}_bytes"))
            for r in range(1, 8)}, {r: (0, 0) for r in range(1, 8)},
           "the last reload started its per-rule counters at 0")
    chk.eq(counters.get("reloads"), 11, "11 reloads")
    chk.eq(counters.get("reload_failed"), 1, "1 refused")
    first = rig.nf.stderr().split("SIGHUP: reloaded")[0]
    replaced = {}
    for m in re.finditer(r"replaced rule (\d+) \(line \d+\): (\d+) packets, (\d+) bytes",
                         first):
        replaced[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    chk.eq(replaced, expected_rule, "v1's per-rule packets and bytes, logged when replaced")
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
