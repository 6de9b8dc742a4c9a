#!/usr/bin/env python3
"""firewall_bad: bad rules files, a huge rule set and a connection-table flood.

Core on two injectable, captured ports (nvtest.twoport), every packet to
role 1, netvm-firewall.

  garbage   rules files of random bytes (fixed seeds): the firewall refuses
            to start, exit status 2 with a message naming the file and a
            line, never a signal; the same files and hand-written bad lines
            sent by SIGHUP are refused with the file, line and column written
            below, the firewall runs on with its rules
  10000     10 000 rules (9 999 deny rules on distinct sources, then an allow
            rule) load; the first, the 5 000th and the last deny rule drop
            their packet, a source none names is allowed; per-rule counters
            say which rule matched
  flood     a connection table of 1024 entries; one TCP connection
            established, then 30 000 SYNs from random sources that the rules
            allow: the table stays at 1024 entries at most, the evictions are
            counted, the firewall's resident memory does not grow from the
            second 10 000 SYNs to the third (the first fill the table and
            touch the buffers of the pool), counted outside the shadow memory
            of an AddressSanitizer build, and the established connection
            still passes both ways afterwards
"""

import os
import random
import re
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Nf  # noqa: E402
from nvtest.fwframes import CONFIG, IN_MAC, OUT_MAC, pad  # noqa: E402
from nvtest.twoport import TwoPorts  # noqa: E402

GOOD = "in 0 allow tcp\nin 0 allow udp\n"
# (file text, where the error must point: ":LINE:COL:" or ":LINE:", words it must name)
BAD_LINES = [
    ("in 0 allow tcp\n3 udp\n", ":2:1:", "output 3"),
    ("in 5 allow tcp\n", ":1:4:", "port 5"),
    ("in 0 allow tcp\ndir 1>1 allow udp\n", ":2:5:", "not a pair"),
    ("in 0 allow tcp\ndir 0>2 allow udp\n", ":2:7:", "port 2"),
    ("allow\n", ":1:6:", "missing pattern"),
    ("# ok\nin 0 allow tcp and dst port 99999\n", ":2:29:", "rule 1"),
    ("define x 10.0.0.1/24\n", ":1:10:", "host bits"),
    ("define tcp 10.0.0.1\n", ":1:8:", "'tcp' is a word patterns read themselves"),
    ("define src 10.0.0.1\n", ":1:8:", "'src' is a word patterns read themselves"),
    ("define ssh 10.0.0.1\nallow dst ssh\n", ":2:11:",
     "'ssh' is ambiguous: a port name and a defined address; say 'host ssh' or 'port ssh'"),
    ("in 0 allow tcp\nin 0 allow udp and (\n", ":2:21:", "rule 2"),
    ("allow = out 7\n", ":1:13:", "port 7"),
    ("in 0 allow t\x00cp\n", ":1:13:", "NUL"),
]
NRULES = 10000
FLOOD = 30000
PART = 10000
CONNS = 1024


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def lines_with(nf, needle):
    return [line for line in nf.stderr().splitlines() if needle in line]


def reload_and_wait(nf, needle, count, timeout=30.0):
    nf.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(lines_with(nf, needle)) >= count:
            return True
        time.sleep(0.05)
    return False


# AddressSanitizer's shadow memory on x86_64 (its LowShadow to HighShadow):
# a sanitizer build maps its shadow of a pool buffer the first time the buffer
# is checked, which depends on the pool's size, not on the number of SYNs.
# Its mappings are that range's large anonymous ones (256 MiB and more).
ASAN_SHADOW = (0x00007fff0000, 0x10007fff8000)
ASAN_SHADOW_MIN = 256 << 20


def rss_kib(pid):
    """The process's resident memory in KiB outside ASan's shadow (all of it
    in a build without sanitizers), or None."""
    total, inside = 0, False
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
                if m:
                    lo, hi = int(m.group(1), 16), int(m.group(2), 16)
                    inside = (ASAN_SHADOW[0] <= lo and hi <= ASAN_SHADOW[1] and
                              hi - lo >= ASAN_SHADOW_MIN and len(line.split()) == 5)
                elif line.startswith("Rss:") and not inside:
                    total += int(line.split()[1])
    except OSError:
        return None
    return total


def start_fw(env, rig, rules, extra=()):
    nf = Nf(env, rig.core, nvenv.FIREWALL_BIN, 1, ["--rules", rules] + list(extra),
            name="firewall")
    return nf, nf.start_attached(timeout=60)


def garbage(env, chk, rig):
    chk.section("rules files of random bytes")
    rules = env.path("random.rules")
    for seed in range(3):
        rnd = random.Random(seed)
        write(rules, bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4096))))
        nf, err = start_fw(env, rig, rules)
        rc = nf.wait(30)
        chk.eq(rc, 2, f"seed {seed}: the firewall refuses to start (exit 2, no signal)")
        chk.ok(re.search(r"random\.rules:\d+", nf.stderr()) is not None,
               f"seed {seed}: the message names the file and a line", nf.tail(3))

    # a file with no line end is refused at its first line, not read into
    # memory whole (the firewall would grow its line without bound)
    empty = env.path("empty.rules")
    write(empty, b"")
    nf, err = start_fw(env, rig, empty)
    chk.eq(nf.wait(30), 2, "an empty rules file: the firewall refuses to start (exit 2)")
    chk.ok("empty.rules: the file is empty" in nf.stderr(), "... saying so", nf.tail(3))
    nf, err = start_fw(env, rig, "/dev/zero")
    rc = nf.wait(30)
    chk.eq(rc, 2, "--rules /dev/zero: the firewall refuses to start (exit 2)")
    chk.ok("/dev/zero:1: line longer than 65536 bytes" in nf.stderr(),
           "... saying the first line is too long", nf.tail(3))

    chk.section("bad files by SIGHUP")
    good = env.path("good.rules")
    write(good, GOOD)
    for value in ("+4096", " 4096"):
        # decimal digits only: strtoul() takes a sign or a blank
        nf, err = start_fw(env, rig, good, ["--conns", value])
        rc = nf.wait(30)
        chk.eq(rc, 2, f"--conns '{value}': the firewall refuses to start (exit 2)")
        chk.ok(f"--conns '{value}'" in nf.stderr(), "... naming the value", nf.tail(3))
    nf, err = start_fw(env, rig, good)
    if not chk.ok(err is None, "firewall starts with good rules", err or ""):
        return
    failed = 0
    for i, (text, where, words) in enumerate(BAD_LINES):
        write(good, text)
        failed += 1
        if not reload_and_wait(nf, "SIGHUP: reload failed", failed):
            chk.ok(False, f"bad file {i}: refused", nf.tail(5))
            continue
        last = [line for line in nf.stderr().splitlines() if "good.rules:" in line][-1]
        chk.ok("good.rules" + where in last and words in last,
               f"bad file {i} refused: good.rules{where} ... {words}", nf.tail(3))
    for seed in range(3, 8):
        rnd = random.Random(seed)
        write(good, bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4096))))
        failed += 1
        chk.ok(reload_and_wait(nf, "SIGHUP: reload failed", failed),
               f"random file (seed {seed}) by SIGHUP: refused", nf.tail(3))
    # an empty file (an editor's save caught half-way) would drop every new
    # connection: refused, the rules in force stay
    write(good, b"")
    failed += 1
    chk.ok(reload_and_wait(nf, "SIGHUP: reload failed", failed) and
           "good.rules: the file is empty" in nf.stderr(),
           "an empty file by SIGHUP: refused, saying so", nf.tail(3))
    chk.ok(nf.alive(), "the firewall runs on")
    syn = pad(Ether(src=IN_MAC, dst=OUT_MAC) / IP(src="10.0.1.2", dst="10.0.2.2")
              / TCP(sport=1234, dport=80, flags="S"))
    rig.send(0, [syn], "a SYN")
    chk.eq([len(x) for x in rig.captured([0, 1])], [0, 1], "the first rules are still in force")
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "exit 0")
    chk.eq(counters.get("reload_failed"), len(BAD_LINES) + 6, "every bad file counted")


def many_rules(env, chk, rig):
    chk.section(f"{NRULES} rules")
    rules = env.path("many.rules")

    def src(i):
        return f"172.16.{i // 250}.{i % 250 + 1}"

    with open(rules, "w") as f:
        for i in range(NRULES - 1):
            f.write(f"deny udp and src host {src(i)} and dst port 53\n")
        f.write("allow udp\n")
    nf, err = start_fw(env, rig, rules)
    if not chk.ok(err is None, f"firewall loads {NRULES} rules", err or ""):
        return
    m = re.search(r"(\d+) rule\(s\)", nf.stderr())
    chk.eq(int(m.group(1)) if m else None, NRULES, f"it says {NRULES} rules")
    hits = {1: src(0), 5000: src(4999), 9999: src(9998), 10000: "172.16.200.1"}
    frames = {r: pad(Ether(src=IN_MAC, dst=OUT_MAC) / IP(src=s, dst="10.0.2.53")
                     / UDP(sport=999, dport=53)) for r, s in hits.items()}
    for r, frame in frames.items():
        rig.send(0, [frame], f"packet for rule {r}")
    got = rig.captured([0, 1])
    chk.eq(got, [[], [frames[10000]]], "only the source no deny rule names passes")
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "exit 0")
    chk.eq({r: counters.get(f"rule{r}_packets") for r in hits}, dict.fromkeys(hits, 1),
           "rules 1, 5000, 9999 and 10000 matched one packet each")
    chk.eq(sum(v for k, v in counters.items() if k.endswith("_packets") and
               k.startswith("rule")), 4, "no other rule matched")
    chk.eq((counters.get("denied"), counters.get("allowed_new")), (3, 1),
           "3 denied, 1 allowed")


def ip_cksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def syn_flood(n, seed):
    """@n SYN frames from random 10.64/10 sources to 10.0.2.2:80."""
    tmpl = bytearray(pad(Ether(src=IN_MAC, dst=OUT_MAC) / IP(src="10.64.0.1", dst="10.0.2.2")
                         / TCP(sport=1, dport=80, flags="S")))
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        f = bytearray(tmpl)
        f[26:30] = struct.pack("!I", 0x0a400000 | rnd.randrange(1 << 22))
        f[34:36] = struct.pack("!H", rnd.randrange(1024, 65536))
        f[24:26] = b"\0\0"
        f[24:26] = struct.pack("!H", ip_cksum(bytes(f[14:34])))
        out.append(bytes(f))
    return out


def flood(env, chk, rig):
    chk.section(f"connection-table flood: {FLOOD} SYNs into {CONNS} entries")
    rules = env.path("flood.rules")
    write(rules, "in 0 allow tcp\n")
    nf, err = start_fw(env, rig, rules, ["--conns", str(CONNS)])
    if not chk.ok(err is None, "firewall starts", err or ""):
        return
    a, b = "10.0.1.2", "10.0.2.2"
    out_ = Ether(src=IN_MAC, dst=OUT_MAC)
    in_ = Ether(src=OUT_MAC, dst=IN_MAC)
    hand = [(0, pad(out_ / IP(src=a, dst=b) / TCP(sport=4000, dport=80, flags="S", seq=1))),
            (1, pad(in_ / IP(src=b, dst=a) / TCP(sport=80, dport=4000, flags="SA", seq=9,
                                                 ack=2))),
            (0, pad(out_ / IP(src=a, dst=b) / TCP(sport=4000, dport=80, flags="A", seq=2,
                                                  ack=10)))]
    for port, frame in hand:
        rig.send(port, [frame], "handshake")
    rig.captured([1, 2])
    syns = syn_flood(FLOOD, 42)
    rss = []
    for start in range(0, FLOOD, PART):
        part = syns[start:start + PART]
        for i in range(0, len(part), 500):
            if not rig.send(0, part[i:i + 500], f"SYNs {start + i}"):
                break
        rig.captured([0, len(part)])  # the part through the firewall (or 5 s)
        rss.append(rss_kib(nf.pid))
    chk.ok(None not in rss and rss[-1] - rss[-2] <= 256,
           "resident memory does not grow from the second 10 000 SYNs to the third",
           f"VmRSS after each 10 000: {rss} KiB")
    data = [(0, pad(out_ / IP(src=a, dst=b) / TCP(sport=4000, dport=80, flags="PA", seq=2,
                                                  ack=10) / b"data")),
            (1, pad(in_ / IP(src=b, dst=a) / TCP(sport=80, dport=4000, flags="A", seq=10,
                                                 ack=6)))]
    for port, frame in data:
        rig.send(port, [frame], "data on the established connection")
    got = rig.captured([1, 1])
    chk.eq(got, [[data[1][1]], [data[0][1]]],
           "the established connection still passes both ways")
    chk.ok(nf.alive(), "the firewall is alive")
    rc, c = nf.stop_counters()
    chk.eq(rc, 0, "exit 0")
    print(f"  conntrack: entries {c.get('ct_entries')} created {c.get('ct_created')} "
          f"evicted {c.get('ct_evicted')} refused {c.get('ct_refused')}", flush=True)
    chk.ok(c.get("ct_entries") is not None and c["ct_entries"] <= CONNS,
           f"the table holds at most {CONNS} connections", f"ct_entries {c.get('ct_entries')}")
    chk.ge((c.get("ct_evicted") or 0) + (c.get("ct_refused") or 0), FLOOD + 1 - CONNS,
           "every SYN beyond the table's size evicted an entry or was refused")
    chk.eq((c.get("allowed_new") or 0) + (c.get("ct_full") or 0), FLOOD + 1,
           "every SYN counted: allowed_new or ct_full")
    chk.eq(c.get("established"), 4, "the 4 packets after the SYN passed as established")


def main():
    env = nvenv.setup("firewall_bad", timeout=580, description=__doc__)
    chk = check.Checker("firewall_bad")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.FIREWALL_BIN])
    rig = TwoPorts(env, chk, "fb", CONFIG)
    err = rig.core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    garbage(env, chk, rig)
    many_rules(env, chk, rig)
    flood(env, chk, rig)
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
