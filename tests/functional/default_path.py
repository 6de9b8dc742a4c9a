#!/usr/bin/env python3
"""default_path: with no rule, the default's frames are read as with rules.

The core has two ways of reading a received burst with core.rx_parse =
"always": without rules, with the DoS detector off and a default that
names a role (the common configuration), every frame takes the default's
destination, with no classification; otherwise each frame's key is matched
against the rules. Both must hand the NF the same thing. Port 0 replays,
once, a pcap of IPv4 and IPv6 TCP/UDP/ICMP flows, each IPv4 flow's frames
in both directions, ARP, malformed IPv4 frames and one frame longer than a
buffer's room; the default sends everything to role 1, a raw NF of one
queue (tests/lib/nvtest/rawnf.py) that keeps every packet it is given.
Three cores, one after the other:

  default   no rule (the default decides every frame);
  rules     one rule that matches none of the frames (dst 192.0.2.1, drop);
  dos       no rule, the DoS detector given limits no source reaches.

In each: the NF gets exactly the well-formed frames, byte for byte and in
the order sent, each descriptor saying input port 0; the malformed ones are
drop_malformed, the long one drop_frame_room, and nothing else is dropped.
A fourth core, without rules, has two instances of role 1: the bursts of
many flows are cut into runs of one flow, each placed by the flow table,
so every flow (flow hash) reaches one instance only, both instances get
flows, and together they get every well-formed frame, each in the order
sent.
The flow hash of each frame (the descriptor's) is the same in all three,
the same for both directions of a connection (docs/abi.md), the same for
every ARP frame (one flow per input port, docs/config.md), and differs
between the connections (no two of them collide here).
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, ctl, pcaps, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import NF_RUNNING, RawNf  # noqa: E402

ROLE = 1
CONFIG = f"""core = {{
  pool_buffers = 8191;
  ring_size = 1024;
  nf_buffers = 4000;
}};
%s
default = {{ role = {ROLE}; }};
"""
NO_MATCH = 'rules = ( { dst = "192.0.2.1/32"; action = "drop"; } );'
DOS = b"dos set src_pps 100000000"


def frames_to_send():
    """[(frame, kind, connection)]: kind 'good', 'malformed' or 'room'; the
    connection (a sorted pair of (address, port) ends and the protocol) for
    TCP/UDP frames, 'arp' for ARP, else None."""
    rng = random.Random(1313)
    out = []
    for p in traffic.mixed_traffic(seed=1313, nb_flows=40):
        conn = None
        if p.tuple5 is not None and p.tuple5[2] in (6, 17) and p.kind != "bad_cksum":
            src, dst, proto, sport, dport = p.tuple5
            conn = (tuple(sorted([(src, sport), (dst, dport)])), proto)
            if rng.random() < 0.5:  # the other direction of the same connection
                back = traffic.build_l4(rng, (dst, src, proto, dport, sport), 64, 128,
                                        traffic.tag(p.flow, 1000 + p.seq))
                out.append((back, "good", conn))
        elif p.kind == "not_ip":
            conn = "arp"
        out.append((p.frame, "malformed" if p.kind == "malformed" else "good", conn))
    for p in traffic.mixed_traffic6(seed=1414, nb_flows=20):
        out.append((p.frame, "good", "arp" if p.kind == "not_ip" else None))
    big = traffic.build_l4(rng, ("10.0.0.1", "10.1.0.1", 17, 7, 7), 64, 3000, b"LONG")
    out.insert(len(out) // 2, (big, "room", None))
    return out


class Keeper:
    """The raw NF of role 1: takes every descriptor of its rx ring and keeps
    (descriptor, frame bytes); it never returns a buffer, and leaves its
    alloc ring alone (full, it holds ring_size of the budget)."""

    def __init__(self, sock):
        self.nf = RawNf(sock, ROLE, nb_queues=1)
        q = self.nf.queues[0]
        self.rx = rawnf.Ring(self.nf.priv, self.nf.priv_u32, q[0])
        self.got = []
        self.nf.set_state(NF_RUNNING)

    def take(self):
        for d in self.rx.peek_all():
            self.got.append((d, self.nf.packet(d)))
        self.rx.cons = self.rx.prod

    def close(self):
        self.nf.close()


def run(chk, env, pcap, name, rules, nb_good):
    """One core: the NF's [(descriptor, frame)] and the core's final counters."""
    core = Core(env, name, CONFIG % rules, [f"net_pcap0,rx_pcap={pcap}", "net_null0,no-rx=1"],
                wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, f"{name}: core starts", err or ""):
        env.done(chk)
    if name == "dos":
        status, text = ctl.core_request(core.sock, b"core %d\n%s" % (len(DOS), DOS))
        chk.ok(status == 0, f"{name}: the DoS detector is given a limit", f"{status} {text}")
    try:
        nf = Keeper(core.sock)
    except (rawnf.AttachError, OSError) as exc:
        chk.fatal(f"{name}: the raw NF attaches", str(exc))
    env.add_cleanup(nf.close)
    ok, st = rawnf.take_until(core, [nf], lambda s: len(nf.got) >= nb_good)
    chk.ok(ok, f"{name}: the NF is given {nb_good} packets", f"{len(nf.got)}; {st}")
    time.sleep(0.5)
    nf.take()
    nf.close()
    final = core.stop_checked(chk)
    return nf.got, final


def run_two(chk, env, pcap, nb_good):
    """A core without rules whose role 1 has two instances: each one's
    [(descriptor, frame)]."""
    core = Core(env, "two", CONFIG % "", [f"net_pcap0,rx_pcap={pcap}", "net_null0,no-rx=1"],
                wait_nfs=2)
    err = core.start_ready()
    if not chk.ok(err is None, "two: core starts", err or ""):
        env.done(chk)
    nfs = []
    try:
        for _ in range(2):
            nfs.append(Keeper(core.sock))
            env.add_cleanup(nfs[-1].close)
    except (rawnf.AttachError, OSError) as exc:
        chk.fatal("two: both raw NFs attach", str(exc))
    ok, st = rawnf.take_until(core, nfs, lambda s: sum(len(n.got) for n in nfs) >= nb_good)
    chk.ok(ok, f"two: the NFs are given {nb_good} packets", f"{[len(n.got) for n in nfs]}; {st}")
    time.sleep(0.5)
    for nf in nfs:
        nf.take()
        nf.close()
    core.stop_checked(chk)
    return [nf.got for nf in nfs]


def check_one(chk, name, got, final, sent):
    good = [f for f, kind, _ in sent if kind == "good"]
    frames = [f for _, f in got]
    chk.eq(len(frames), len(good), f"{name}: the NF got one packet per well-formed frame")
    wrong = [i for i, (a, b) in enumerate(zip(frames, good)) if a != b]
    chk.eq(wrong[:5], [], f"{name}: byte for byte, in the order sent")
    chk.eq(sorted({d.port for d, _ in got}), [0], f"{name}: each descriptor says input port 0")
    drops = {k[5:]: v for k, v in final.items() if k.startswith("drop_") and v}
    want = {"malformed": sum(kind == "malformed" for _, kind, _ in sent), "frame_room": 1}
    chk.eq(drops, want, f"{name}: the malformed frames and the long one dropped, nothing else")
    chk.eq(final.get("port0_rx"), len(sent), f"{name}: port 0 received every frame")


def main():
    env = nvenv.setup("default_path", timeout=150, description=__doc__)
    chk = check.Checker("default_path")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])

    sent = frames_to_send()
    pcap = env.path("mix.pcap")
    pcaps.write(pcap, [f for f, _, _ in sent])
    good = [(f, conn) for f, kind, conn in sent if kind == "good"]
    hashes = {}
    for name, rules in (("default", ""), ("rules", NO_MATCH), ("dos", "")):
        chk.section(name)
        got, final = run(chk, env, pcap, name, rules, len(good))
        check_one(chk, name, got, final, sent)
        hashes[name] = [d.hash for d, _ in got]

    chk.section("the flow hashes")
    for name, what in (("rules", "with a rule that matches nothing"),
                       ("dos", "with the DoS detector on")):
        a, b = hashes[name], hashes["default"]
        differ = [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y]
        chk.ok(len(a) == len(b) and not differ,
               f"{what}, each frame's hash is the one it has without rules or detector",
               f"{len(differ)} differ (frame, {name}, default): {differ[:5]}")
    by_conn = {}
    for (frame, conn), h in zip(good, hashes["default"]):
        if conn is not None:
            by_conn.setdefault(conn, set()).add(h)
    split = {str(c): sorted(h) for c, h in by_conn.items() if len(h) != 1}
    chk.eq(split, {}, "both directions of each connection, and every ARP frame, hash alike")
    chk.gt(len(by_conn), 40, "connections seen")
    firsts = [next(iter(h)) for h in by_conn.values()]
    chk.eq(len(set(firsts)), len(firsts), "no two connections (or ARP) share a hash")

    chk.section("two instances")
    each = run_two(chk, env, pcap, len(good))
    good_frames = [f for f, _ in good]
    chk.eq(sorted(f for got in each for _, f in got), sorted(good_frames),
           "the two instances get every well-formed frame between them, once")
    for i, got in enumerate(each):
        frames = [f for _, f in got]
        mine = set(frames)
        want = [f for f in good_frames if f in mine]
        first = next((k for k, (a, b) in enumerate(zip(frames, want)) if a != b), None)
        chk.ok(frames == want, f"instance {i}: its frames in the order sent",
               f"{len(frames)} frames, {len(want)} expected, first out of order at {first}")
    hashes_of = [{d.hash for d, _ in got} for got in each]
    both = sorted(hashes_of[0] & hashes_of[1])
    chk.ok(not both, "no flow hash reaches both instances", f"{len(both)} do: {both[:5]}")
    chk.ok(all(hashes_of), "both instances get flows", f"{[len(h) for h in hashes_of]}")
    env.done(chk)


if __name__ == "__main__":
    main()
