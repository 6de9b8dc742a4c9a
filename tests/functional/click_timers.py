#!/usr/bin/env python3
"""netvm-click's timers and tasks run with no input traffic (netlib's idle hook).

One Click NF on a core whose port 1 receives nothing at all:

  RatedSource(DATA <frame>, RATE 20) -> Queue -> ToDevice(1)
      frames leave port 1 with no packet coming in: at least a second's worth
      arrive (the run lasts 4 s or more), each is the
      DATA frame, and no more than the rate allows over the time the NF ran
      (plus a few: wide bounds, no timing assertion).
  FromDevice(0) -> Strip(14) -> CheckIPHeader -> rw :: IPRewriter(pattern ...)
               -> Unstrip(14) -> Queue -> ToDevice(0)
      the one UDP packet of port 0's input (sent at start) leaves port 0 with
      its source rewritten (so a mapping was made, expected bytes built here
      with scapy); UDP_TIMEOUT 1 s, REAP_INTERVAL 0.5 s: with no further
      traffic the reap timer frees it, so `rw.size` (mappings held) printed at exit is 0
      (without timers between packets it would stay 1).
  sc :: Script(export n 0, label l, wait 0.2s, set n $(add $n 1), goto l)
      Script's wait timer runs on the platform: `sc.n` at exit is between 5
      and elapsed / 0.2 + 1.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.all import IP, UDP, Ether, raw  # noqa: E402

from nvtest import check, pcaps  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Nf, parse_click_handlers  # noqa: E402

CLICK_BIN = "apps/click/netvm-click"
RATE = 20
CONFIG = """# written by click_timers
core = {
  pool_buffers = 4096;
  ring_size = 1024;
};
default = { role = 1; };
"""

SRC_FRAME = raw(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
                IP(src="10.1.0.1", dst="10.2.0.2", ttl=64) / UDP(sport=7, dport=9) / (b"r" * 18))
UDP_FRAME = raw(Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04") /
                IP(src="192.168.1.5", dst="10.2.0.2", ttl=64, id=1) /
                UDP(sport=4444, dport=53) / b"query")


def click_config():
    data = "".join(f"{b:02x}" for b in SRC_FRAME)
    return (f"rs :: RatedSource(DATA \\<{data}>, RATE {RATE}) -> Queue(1000) -> ToDevice(1);\n"
            "FromDevice(0) -> Strip(14) -> CheckIPHeader\n"
            " -> rw :: IPRewriter(pattern 10.9.9.9 5000-5999 - - 0 0, UDP_TIMEOUT 1,"
            " REAP_INTERVAL 0.5)\n"
            " -> Unstrip(14) -> Queue(100) -> ToDevice(0);\n"
            "sc :: Script(export n 0, label l, wait 0.2s, set n $(add $n 1), goto l);\n")


def expected_rewritten(sport):
    """UDP_FRAME with source 10.9.9.9:@sport, checksums recomputed by scapy."""
    p = Ether(UDP_FRAME)
    p[IP].src = "10.9.9.9"
    p[UDP].sport = sport
    del p[IP].chksum
    del p[UDP].chksum
    return raw(p)


def main():
    env = nvenv.setup("click_timers", timeout=150, description=__doc__)
    chk = check.Checker("click_timers")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, CLICK_BIN])

    in0, empty = env.path("in0.pcap"), env.path("empty.pcap")
    out0, out1 = env.path("out0.pcap"), env.path("out1.pcap")
    pcaps.write(in0, [UDP_FRAME])
    pcaps.write(empty, [])
    conf = env.path("timers.click")
    with open(conf, "w") as f:
        f.write(click_config())
    core = Core(env, "cktm", CONFIG, [f"net_pcap0,rx_pcap={in0},tx_pcap={out0}",
                                      f"net_pcap1,rx_pcap={empty},tx_pcap={out1}"],
                wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    ck = Nf(env, core, CLICK_BIN, 1,
            ["-f", conf, "-h", "rs.count", "-h", "rw.size", "-h", "rw.mapping_failures",
             "-h", "sc.n"],
            name="click")
    t0 = time.monotonic()
    err = ck.start_attached()
    if not chk.ok(err is None, "netvm-click attaches (role 1)", err or ""):
        env.done(chk)

    # Wait for RatedSource's frames on port 1 (nothing comes in there) and
    # for the mapping's timeout and reap: at least 4 s, at most 60.
    deadline = time.monotonic() + 60
    tx1 = 0
    while time.monotonic() < deadline:
        tx1 = core.stats().get("port1_tx", 0)
        if tx1 >= 3 * RATE and time.monotonic() - t0 >= 4:
            break
        time.sleep(0.2)
    rc, _ = ck.stop_counters()
    elapsed = time.monotonic() - t0
    chk.eq(rc, 0, "netvm-click exits 0")
    final = core.stop_checked(chk)
    chk.eq(final.get("port1_rx"), 0, "port 1 received nothing")
    chk.eq(final.get("port0_rx"), 1, "port 0 received the one UDP packet")

    h = parse_click_handlers(ck.stdout())
    frames1 = pcaps.read(out1)
    allowed = int(RATE * elapsed) + 5
    # a second's worth at least (the run lasts 4 s or more): without timers
    # between packets only the few of port 0's one burst would leave
    chk.ok(len(frames1) >= RATE, f"RatedSource's frames leave port 1 with no input traffic "
           f"(at least {RATE}: {len(frames1)})",
           f"{len(frames1)} frames; -h: {h}; NF output: {ck.tail()}")
    chk.ok(len(frames1) <= allowed,
           f"no more than RATE x elapsed + 5 frames ({allowed} over {elapsed:.1f} s)",
           f"{len(frames1)} frames")
    chk.ok(all(f == SRC_FRAME for f in frames1), "every frame on port 1 is RatedSource's DATA",
           f"{sum(f != SRC_FRAME for f in frames1)} differ")
    chk.ok(h.get("rs.count", 0) >= len(frames1), "rs.count covers what left port 1",
           f"rs.count={h.get('rs.count')}, frames={len(frames1)}")

    chk.ok(5 <= h.get("sc.n", 0) <= elapsed / 0.2 + 1,
           f"Script's `wait 0.2s` loop ran with no traffic (sc.n={h.get('sc.n')}, "
           f"{elapsed:.1f} s)")

    frames0 = pcaps.read(out0)
    got = frames0[0] if len(frames0) == 1 else b""
    sport = int.from_bytes(got[34:36], "big") if len(got) >= 36 else 0
    chk.eq(len(frames0), 1, "the UDP packet leaves port 0")
    chk.ok(5000 <= sport <= 5999 and got == expected_rewritten(sport),
           "its source is rewritten to 10.9.9.9:5000-5999, checksums right",
           f"got {got.hex()}")
    chk.eq(h.get("rw.mapping_failures"), 0, "no mapping failure")
    chk.eq(h.get("rw.size"), 0,
           "the mapping expired and was reaped with no traffic (rw.size at exit)")
    env.done(chk)


if __name__ == "__main__":
    main()
