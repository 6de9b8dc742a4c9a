#!/usr/bin/env python3
"""frag_forge: an NF forging first fragments steers no other traffic's fragments.

The core keeps a later IP fragment with the first fragment of its datagram
(docs/core.md, "IP fragments"): it gives it what the first fragment was
given. A first fragment an NF makes (or rewrites) and hands to another role
is noted too, when the core reads it then (read_late()). Such a note must
only serve the fragments that NF's role hands on: a guest that forges first
fragments with another datagram's identity must not change where that
datagram's later fragments go.

Raw NFs (tests/lib/nvtest/rawnf.py): A, the forger (role 1), and H, an
honest NF (role 2), make packets in fresh buffers and hand them to role 3,
which has two instances, C0 and C1, that take what they get and drop it.
Port 0 is a veth pair the test writes frames into (nvtest.inject), read by
net_pcap (net_af_packet would have the kernel reassemble the fragments:
PACKET_FANOUT_FLAG_DEFRAG); the core drops UDP to port 7777 (rule_drop) and
gives the rest of 10.3/16 to role 3.

  nf vs nf   H hands role 3 the first fragment of a datagram; it reaches
             one instance. A then hands role 3 first fragments of the same
             identity (addresses, protocol, IP identification) with other
             ports until one reaches the other instance. H's later fragment
             must still reach the instance its first fragment reached. A's
             own later fragment follows A's first fragment (the feature
             still works for the NF's own datagrams).
  wire vs nf The wire brings the first fragment of a datagram to port 7777:
             the core drops it (rule_drop) and notes it. A hands role 3 a
             first fragment of the same identity. The wire's later fragment
             must be dropped like its first fragment (rule_drop), not
             classified by itself and given to role 3.

Every buffer must be back in the pool when the core exits.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from nvtest import check, rawnf  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector, drained  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import ACT_DROP, ACT_TO_ROLE  # noqa: E402
from nvtest.telemetry import drops  # noqa: E402

FORGER, HONEST, TARGET = 1, 2, 3
TRIES = 32  # forged ports tried to reach the other instance (each has a 1/2 chance)
CONFIG = f"""core = {{
  pool_buffers = 4096;
  buffer_size = 4096;
  ring_size = 256;
}};
rules = (
  {{ proto = "udp"; dport = "7777"; action = "drop"; }},
  {{ dst = "10.3.0.0/16"; role = {TARGET}; }}
);
default = {{ action = "drop"; }};
"""
MACS = dict(src="02:00:00:00:01:02", dst="02:00:00:00:02:02")


def first_frag(src, dst, ident, sport, dport):
    """The first fragment (more fragments follow) of a UDP datagram."""
    return bytes(Ether(**MACS) / IP(src=src, dst=dst, id=ident, flags="MF", proto=17)
                 / UDP(sport=sport, dport=dport, len=1008) / Raw(b"f" * 992))


def later_frag(src, dst, ident):
    """The last fragment (offset 1000 bytes) of the datagram first_frag() starts."""
    return bytes(Ether(**MACS) / IP(src=src, dst=dst, id=ident, frag=125, proto=17)
                 / Raw(b"l" * 8))


def make(raw, frame, what):
    """@raw takes a fresh buffer, writes @frame in it and hands it to role TARGET."""
    deadline = time.monotonic() + 10
    fresh = []
    while not fresh and time.monotonic() < deadline:
        fresh = raw.alloc.dequeue(1)
        if not fresh:
            time.sleep(0.005)
    if not fresh:
        raise RuntimeError(f"{what}: no fresh buffer on the alloc ring in 10 s")
    d = fresh[0].copy(len=len(frame), action=ACT_TO_ROLE, arg=TARGET)
    raw.write_packet(d, 0, frame)
    if not raw.send([d]):
        raise RuntimeError(f"{what}: the core did not take the descriptor in 5 s")


def arrival(targets, frame, timeout=10.0):
    """The index in @targets of the instance @frame reaches (each instance
    drops what it takes), or None when none gets it within @timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for i, t in enumerate(targets):
            got = t.rx.dequeue(64)
            if not got:
                continue
            seen = [t.packet(d) for d in got]
            t.send([d.copy(action=ACT_DROP) for d in got])
            if frame in seen:
                return i
        time.sleep(0.005)
    return None


def none_arrives(targets, secs):
    """Frames the instances of @targets got in @secs seconds (dropped)."""
    n = 0
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        for t in targets:
            got = t.rx.dequeue(64)
            if got:
                n += len(got)
                t.send([d.copy(action=ACT_DROP) for d in got])
        time.sleep(0.01)
    return n


def nf_vs_nf(chk, core, forger, honest, targets):
    chk.section("nf vs nf: forged first fragments against another NF's datagram")
    src, dst, ident = "10.9.0.1", "10.3.0.1", 500
    mine = first_frag(src, dst, ident, 1000, 2000)
    make(honest, mine, "H's first fragment")
    at = arrival(targets, mine)
    if not chk.ok(at is not None, "H's first fragment reaches an instance of role 3"):
        return
    print(f"  H's first fragment reached C{at}", flush=True)
    forged_at = at
    for k in range(TRIES):
        forged = first_frag(src, dst, ident, 5000 + k, 2000)
        make(forger, forged, "A's forged first fragment")
        forged_at = arrival(targets, forged)
        if forged_at is None or forged_at != at:
            break
    if not chk.ok(forged_at is not None and forged_at != at,
                  "one of A's forged first fragments reaches the other instance",
                  f"after {k + 1} tries: C{forged_at}"):
        return
    print(f"  A's forged first fragment {k + 1} reached C{forged_at}", flush=True)
    st0 = core.stats()
    later = later_frag(src, dst, ident)
    make(honest, later, "H's later fragment")
    chk.eq(arrival(targets, later), at,
           "H's later fragment reaches the instance of its first fragment, not A's choice")
    make(forger, later, "A's later fragment")
    chk.eq(arrival(targets, later), forged_at,
           "A's own later fragment follows A's first fragment")
    st1 = core.stats()
    chk.eq(st1.get("rx_frag_followed", 0) - st0.get("rx_frag_followed", 0), 2,
           "both later fragments counted rx_frag_followed")


def wire_vs_nf(chk, core, inj, forger, targets):
    chk.section("wire vs nf: a forged first fragment against a datagram the core dropped")
    src, dst, ident = "10.8.0.1", "10.3.0.2", 600
    st0 = core.stats()
    inj.send([first_frag(src, dst, ident, 4000, 7777)])
    ok, st = core.tel.wait_for(drained(0, inj.sent), timeout=10)
    chk.ok(ok, "port 0 takes the wire's first fragment",
           f"port0_rx {st.get('port0_rx')} of {inj.sent}")
    chk.eq(drops(st).get("rule_drop", 0) - drops(st0).get("rule_drop", 0), 1,
           "the core drops it (rule_drop)")
    forged = first_frag(src, dst, ident, 4000, 2000)
    make(forger, forged, "A's forged first fragment")
    chk.ok(arrival(targets, forged) is not None, "A's forged first fragment reaches role 3")
    st1 = core.stats()
    inj.send([later_frag(src, dst, ident)])
    ok, st2 = core.tel.wait_for(
        lambda s: s.get("port0_rx", -1) >= inj.sent and
        s.get("rx_frag_followed", 0) + s.get("rx_frag_alone", 0) >
        st1.get("rx_frag_followed", 0) + st1.get("rx_frag_alone", 0), timeout=10)
    chk.ok(ok, "port 0 takes the wire's later fragment and the core reads it as one")
    chk.eq(drops(st2).get("rule_drop", 0) - drops(st1).get("rule_drop", 0), 1,
           "the wire's later fragment is dropped like its first fragment (rule_drop)")
    chk.eq(st2.get("rx_frag_followed", 0) - st1.get("rx_frag_followed", 0), 1,
           "it is counted rx_frag_followed")
    chk.eq(none_arrives(targets, 1.0), 0, "role 3 gets nothing from the wire")


def main():
    env = nvenv.setup("frag_forge", timeout=170, description=__doc__)
    chk = check.Checker("frag_forge")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])

    inj = Injector(env)
    core = Core(env, "g", CONFIG, [f"net_pcap0,iface={inj.port_if}", "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    forger = rawnf.attach_running(env, chk, core.sock, FORGER)
    honest = rawnf.attach_running(env, chk, core.sock, HONEST)
    targets = [rawnf.attach_running(env, chk, core.sock, TARGET) for _ in range(2)]
    ids = [r.nf_id for r in [forger, honest] + targets]
    ok, _ = core.tel.wait_for(lambda s: all(s.get(f"nf{i}_live") == 1 for i in ids), 10)
    chk.ok(ok, "A (role 1), H (role 2) and two instances of role 3 run")

    try:
        nf_vs_nf(chk, core, forger, honest, targets)
        wire_vs_nf(chk, core, inj, forger, targets)
    except RuntimeError as exc:
        chk.ok(False, "the raw NFs make their packets", str(exc))

    chk.section("shutdown")
    for r in [forger, honest] + targets:
        r.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 10)
    chk.ok(ok, "the raw NFs detach", f"nfs_attached={st.get('nfs_attached')}")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
