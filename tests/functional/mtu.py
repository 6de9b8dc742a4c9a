#!/usr/bin/env python3
"""mtu: frame lengths an NF returns are checked against the Ethernet minimum and the port's MTU.

A raw NF (tests/lib/nvtest/rawnf.py, role 3) fills fresh buffers from its
alloc ring with frames built here by scapy and returns them one at a time,
OUT to port 0 (a net_pcap port whose capture is read at the end; its MTU is
ethdev's default, 1500, as net_pcap sets none), or TO_ROLE / NEXT:

  * shorter than an Ethernet header (1 and 13 bytes, OUT, TO_ROLE, NEXT):
    drop_frame_short; exactly 14 bytes: sent, or delivered to the role;
  * an IPv4 packet of exactly the MTU: sent as it is;
  * MTU + 1 and a 30000-byte frame (in a 32 KiB buffer), DF set:
    drop_frag_needed; the same without DF: IPv4 fragments, which must equal
    scapy's fragment() of the packet byte for byte and reassemble, with
    scapy's defragment(), to the original packet; a 4000-byte packet with
    IPv4 options: the first fragment carries them all, the later ones only
    the option whose copied flag is set (RFC 791);
  * over the MTU but not fragmentable (not IPv4; an IPv4 header whose total
    length is not the frame's): drop_frame_mtu.

After each step every drop counter, frag_packets, frag_out and port0_tx must
equal their expected running totals; at the end the capture must hold
exactly the expected frames, in order, and every buffer must be back.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import (IP, UDP, IPOption_LSRR, IPOption_RR, defragment,  # noqa: E402
                               fragment)
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

from nvtest import check, pcaps, rawnf  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import ACT_NEXT, ACT_OUT, ACT_TO_ROLE  # noqa: E402
from nvtest.telemetry import drops  # noqa: E402

RAW_ROLE = 3
MTU = 1500          # ethdev's default MTU: net_pcap does not set one
ETH_LEN = 14
CONFIG = """core = {
  pool_buffers = 1024;
  buffer_size = 32768;
};
rules = ( { dst = "10.3.0.0/16"; role = 3; } );
default = { action = "drop"; };
"""
SRC_MAC, DST_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def ipv4_frame(size, df, ident, options=()):
    """An Ethernet/IPv4/UDP frame of exactly @size bytes, DF set when @df."""
    hdr = Ether(src=SRC_MAC, dst=DST_MAC) / IP(src="10.3.0.1", dst="10.9.0.1", id=ident,
                                                 ttl=33, flags="DF" if df else 0,
                                                 options=list(options)) / \
        UDP(sport=4000 + ident, dport=5000)
    fill = size - len(hdr)
    body = bytes((ident + i) & 0xff for i in range(fill))
    frame = bytes(hdr / Raw(body))
    assert len(frame) == size, (len(frame), size)
    return frame


def expected_fragments(frame):
    """The frames the core must send for oversize, fragmentable @frame (scapy's fragmenting)."""
    frag_payload = (MTU - 20) // 8 * 8
    return [bytes(f) for f in fragment(Ether(frame), fragsize=frag_payload)]


class Run:
    """The raw NF's buffers, the steps and the running expectations."""

    KEYS = ("frag_packets", "frag_out", "port0_tx")

    def __init__(self, chk, core, raw):
        self.chk = chk
        self.core = core
        self.raw = raw
        self.bufs = []
        self.expect = dict.fromkeys(self.KEYS, 0)
        self.expect_drops = {}
        self.out = []  # frames expected in the capture, in order

    def take_buffers(self, n):
        ok, _st = self.core.tel.wait_for(lambda s: self.raw.alloc.count() >= n, timeout=20)
        self.bufs = self.raw.alloc.dequeue(n)
        return ok and len(self.bufs) == n

    def step(self, what, frame, action=ACT_OUT, arg=0, drop=None, sent=(), frags=0):
        """Return @frame from a fresh buffer with @action; check the counters move as said."""
        d = self.bufs.pop()
        self.raw.write_packet(d, 0, frame)
        desc = d.copy(len=len(frame), action=action, port=0, arg=arg)
        consumed = self.raw.send([desc], timeout=10)
        self.chk.ok(consumed, f"{what}: the core consumed the descriptor")
        if drop:
            self.expect_drops[drop] = self.expect_drops.get(drop, 0) + 1
        if frags:
            self.expect["frag_packets"] += 1
            self.expect["frag_out"] += frags
        if sent is None:  # fragments checked by the caller
            self.expect["port0_tx"] += frags
            self.out.append(None)
        else:
            self.expect["port0_tx"] += len(sent)
            self.out += list(sent)

        def settled(st):
            d_now = drops(st)
            return (all(st.get(k) == v for k, v in self.expect.items()) and
                    all(d_now.get(k, 0) == v for k, v in self.expect_drops.items()))
        ok, st = self.core.tel.wait_for(settled, timeout=10)
        got_drops = {k: v for k, v in drops(st).items() if v}
        self.chk.ok(ok and got_drops == self.expect_drops,
                    f"{what}: drops {self.expect_drops or '{}'}, "
                    + ", ".join(f"{k} {v}" for k, v in self.expect.items()),
                    f"drops {got_drops}, " + ", ".join(f"{k} {st.get(k)}" for k in self.KEYS))


def main():
    env = nvenv.setup("mtu", timeout=170, description=__doc__)
    chk = check.Checker("mtu")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])

    empty = env.path("empty.pcap")
    pcaps.write(empty, [])
    out_pcap = env.path("out.pcap")
    core = Core(env, "mtu", CONFIG, [f"net_pcap0,rx_pcap={empty},tx_pcap={out_pcap}"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    raw = rawnf.attach_running(env, chk, core.sock, RAW_ROLE)
    chk.eq(raw.buf_stride, 32768, "buffers of 32 KiB")
    run = Run(chk, core, raw)
    if not chk.ok(run.take_buffers(16), "raw NF takes 16 fresh buffers from its alloc ring"):
        env.done(chk)

    chk.section("shorter than an Ethernet header")
    tiny = ipv4_frame(64, False, 1)
    run.step("1-byte frame OUT", tiny[:1], drop="frame_short")
    run.step("13-byte frame OUT", tiny[:13], drop="frame_short")
    run.step("13-byte frame TO_ROLE 3", tiny[:13], action=ACT_TO_ROLE, arg=RAW_ROLE,
             drop="frame_short")
    run.step("1-byte frame NEXT", tiny[:1], action=ACT_NEXT, drop="frame_short")
    run.step("14-byte frame OUT is sent", tiny[:14], sent=[tiny[:14]])
    run.step("14-byte frame TO_ROLE 3 is delivered", tiny[:14], action=ACT_TO_ROLE,
             arg=RAW_ROLE)
    back = raw.receive(1, timeout=10)
    chk.ok(len(back) == 1 and back[0].len == 14 and raw.packet(back[0]) == tiny[:14],
           "the 14-byte frame reaches role 3's rx ring", str(back))

    chk.section("the port's MTU")
    exact = ipv4_frame(MTU + ETH_LEN, True, 2)
    run.step(f"{len(exact)}-byte frame (IPv4 of exactly the MTU, DF) is sent", exact,
             sent=[exact])
    run.step("MTU + 1 with DF", ipv4_frame(MTU + ETH_LEN + 1, True, 3), drop="frag_needed")
    run.step("30000 bytes with DF", ipv4_frame(30000, True, 4), drop="frag_needed")
    over = ipv4_frame(MTU + ETH_LEN + 1, False, 5)
    frags = expected_fragments(over)
    chk.eq(len(frags), 2, "scapy makes 2 fragments of MTU + 1")
    run.step("MTU + 1 without DF leaves as fragments", over, sent=frags, frags=len(frags))
    big = ipv4_frame(30000, False, 6)
    big_frags = expected_fragments(big)
    run.step(f"30000 bytes without DF leaves as {len(big_frags)} fragments", big,
             sent=big_frags, frags=len(big_frags))
    # Record Route (not copied into later fragments) then Loose Source Route
    # (copied): RFC 791 says which options the later fragments carry.
    opts = [IPOption_RR(routers=["10.7.0.1"]), IPOption_LSRR(routers=["10.7.0.2"])]
    with_opts = ipv4_frame(4000, False, 9, opts)
    ihl = (with_opts[ETH_LEN] & 0xf) * 4
    lsrr = bytes(IPOption_LSRR(routers=["10.7.0.2"]))
    later_ihl = 20 + (len(lsrr) + 3) // 4 * 4
    per_frag = (MTU - ihl) // 8 * 8
    n_opts = -(-(4000 - ETH_LEN - ihl) // per_frag)
    run.step(f"4000 bytes with IPv4 options leaves as {n_opts} fragments", with_opts,
             sent=None, frags=n_opts)
    not_ip = bytearray(ipv4_frame(MTU + ETH_LEN + 1, False, 7))
    not_ip[12:14] = b"\x88\xb5"  # a local experimental ethertype
    run.step("MTU + 1, not IPv4", bytes(not_ip), drop="frame_mtu")
    lying = bytearray(ipv4_frame(MTU + ETH_LEN + 1, False, 8))
    lying[16:18] = (1000).to_bytes(2, "big")  # total length says 1000
    run.step("MTU + 1, IPv4 total length 1000", bytes(lying), drop="frame_mtu")

    chk.section("shutdown and the capture")
    raw.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, timeout=10)
    chk.ok(ok, "raw NF detached", f"nfs_attached={st.get('nfs_attached')}")
    final = core.stop_checked(chk)
    chk.eq({k: v for k, v in drops(final).items() if v}, run.expect_drops,
           "final drop counters: nothing else was dropped")
    try:
        got = pcaps.read(out_pcap)
    except (OSError, ValueError) as exc:
        chk.fatal("port 0's capture is readable", str(exc))
    # the frames before and after the options packet's fragments are known
    cut = run.out.index(None)
    head, tail = run.out[:cut], run.out[cut + 1:]
    opt_frags = got[len(head):len(got) - len(tail)]
    diffs = pcaps.compare(head + tail, got[:len(head)] + got[len(got) - len(tail):])
    chk.ok(not diffs, f"port 0 sent exactly the {len(head + tail)} expected frames, in order",
           "; ".join(diffs[:5]))
    chk.eq(len(opt_frags), n_opts, "the options packet's fragments are between them")
    opts_of = lambda f: f[ETH_LEN + 20:ETH_LEN + (f[ETH_LEN] & 0xf) * 4]  # noqa: E731
    chk.ok(len(opt_frags) > 1 and opts_of(opt_frags[0]) == opts_of(with_opts)
           and all(opts_of(f) == lsrr + b"\0" * (later_ihl - 20 - len(lsrr))
                   for f in opt_frags[1:]),
           "the first fragment carries every option, the later ones only Loose Source Route",
           " ".join(f[ETH_LEN:ETH_LEN + 40].hex() for f in opt_frags[:2]))
    longest = max((len(f) for f in got), default=0)
    chk.ok(longest <= MTU + ETH_LEN, f"no frame on the wire is longer than {MTU + ETH_LEN}",
           f"longest {longest}")
    for name, orig in (("MTU + 1", over), ("30000 bytes", big), ("with options", with_opts)):
        ident = IP(orig[ETH_LEN:]).id
        pieces = [Ether(f) for f in got if len(f) >= 34 and f[12:14] == b"\x08\x00"
                  and IP(f[ETH_LEN:]).id == ident]
        whole = defragment([p[IP] for p in pieces])
        chk.ok(len(whole) == 1 and bytes(whole[0]) == orig[ETH_LEN:],
               f"{name}: the captured fragments reassemble to the original IPv4 packet",
               f"{len(pieces)} fragments, {len(whole)} packets after defragment")
    env.done(chk)


if __name__ == "__main__":
    main()
