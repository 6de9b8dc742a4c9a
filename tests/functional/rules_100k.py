#!/usr/bin/env python3
"""rules_100k: 100 000 classifier rules from the file, and changed live.

The test writes a configuration of 100 000 rules: 99 999 random 5-tuple
rules (proto tcp or udp, a source prefix /8../32 outside 10/8, a
destination prefix /8../32, a destination port or range, half of them a
source port or range), each sending to role 1, role 2 or dropping, then
`{ src = "10.9.0.0/16"; role = 2; }`; the default is role 3. Port 0 receives
exactly the frames the test writes into it (nvtest.inject), port 1 is a
net_null sink; three netvm-bridge instances serve roles 1, 2 and 3 and send
everything out of port 1.

Overlaps are made on purpose: 16 pairs of rules where one is a wider copy
of the other (shorter prefixes, any port) with another target, the wider
first in half of the pairs, the narrower first in the other half.

Frames: one inside each of 48 random rules (spread over the whole list,
the last ten thousand included), one inside the narrower rule of each pair
(the first of the two must decide), from 10.9/16 (only the last rule
matches) and from elsewhere in 10/8 (no rule: the default). Where each frame must go
is computed here by a first-match scan of the rules in file order (a
Python model, not the core's code); the NFs' rx counters and drop_rule_drop
must agree.

Then `netvmctl rule add 0` sends 10.9/16 to role 1: the whole classifier is
built again beside the one in force (about ten seconds of CPU here). Frames
sent while the command runs must still be classified, by the old rules (the
datapath does not wait for the rebuild); after it, by the new. The time the
command took is printed (a figure, not a check). Last, a file of 131 073
rules is refused by `core reload` with a message naming the limit, and the
rules in force stay.
"""

import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from nvtest import check, ctl  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector, sent_through  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

N = 100000      # rules in the file
LIMIT = 131072  # docs/config.md: at most this many rules
PROBES = 48     # frames inside random rules
PAIRS = 16      # overlapping pairs of rules
SEED = 100013
HEAD = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
"""
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
DROP = "drop"
LAST = (0x0a090000, 16)  # the last rule's source prefix, 10.9.0.0/16


def ip(a):
    return f"{a >> 24}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}"


def rand_prefix(rnd, length, not10):
    while True:
        first = rnd.randrange(1, 224)
        if not (not10 and first == 10):
            break
    a = first << 24 | rnd.getrandbits(24)
    return a & ((0xffffffff << (32 - length)) & 0xffffffff), length


def rand_ports(rnd):
    lo = rnd.randrange(0, 65536)
    return (lo, lo) if rnd.random() < 0.5 else (lo, rnd.randrange(lo, 65536))


def make_rules(rnd):
    """The file's rules as tuples (proto, src, dst, sport, dport, target);
    a prefix is (address, length), a port range (lo, hi), None = any."""
    rules = []
    for _ in range(N - 1):
        proto = rnd.choice((6, 17))
        src = rand_prefix(rnd, rnd.randrange(8, 33), True)
        dst = rand_prefix(rnd, rnd.randrange(8, 33), False)
        sport = rand_ports(rnd) if rnd.random() < 0.5 else None
        dport = rand_ports(rnd)
        rules.append((proto, src, dst, sport, dport, rnd.choice((1, 2, DROP))))
    rules.append((None, LAST, None, None, None, 2))
    return rules


def make_pairs(rnd, rules):
    """Make PAIRS overlapping pairs in @rules; returns the narrower rule of each."""
    narrow = []
    for i, (a, b) in enumerate(zip(*[iter(rnd.sample(range(N - 1), 2 * PAIRS))] * 2)):
        k, j = min(a, b), max(a, b)
        proto, src, dst, _sport, _dport, target = rules[k if i % 2 else j]
        wide_src = (src[0] & (0xffffffff << (32 - max(8, src[1] - 4))) & 0xffffffff,
                    max(8, src[1] - 4))
        wide_dst = (dst[0] & (0xffffffff << (32 - max(8, dst[1] - 4))) & 0xffffffff,
                    max(8, dst[1] - 4))
        other = rnd.choice([t for t in (1, 2, DROP) if t != target])
        wide = (proto, wide_src, wide_dst, None, None, other)
        if i % 2:  # narrower first
            rules[j] = wide
            narrow.append(rules[k])
        else:      # wider first
            rules[k] = wide
            narrow.append(rules[j])
    return narrow


def rule_text(r):
    proto, src, dst, sport, dport, target = r
    keys = []
    if proto is not None:
        keys.append(f'proto = "{"tcp" if proto == 6 else "udp"}"')
    for name, p in (("src", src), ("dst", dst)):
        if p is not None:
            keys.append(f'{name} = "{ip(p[0])}/{p[1]}"')
    for name, pr in (("sport", sport), ("dport", dport)):
        if pr is not None:
            keys.append(f'{name} = "{pr[0]}-{pr[1]}"')
    keys.append('action = "drop"' if target == DROP else f"role = {target}")
    return "{ " + "; ".join(keys) + "; }"


def config_text(rules, default="role = 3"):
    return (HEAD + "rules = (\n  " + ",\n  ".join(rule_text(r) for r in rules) +
            f"\n);\ndefault = {{ {default}; }};\n")


def in_prefix(a, p):
    return p is None or p[1] == 0 or (a ^ p[0]) >> (32 - p[1]) == 0


def in_range(v, pr):
    return pr is None or pr[0] <= v <= pr[1]


def first_match(rules, pkt):
    """Target of the first rule @pkt (proto, src, dst, sport, dport) matches; 3 = default."""
    proto, src, dst, sport, dport = pkt
    for r in rules:
        if ((r[0] is None or r[0] == proto) and in_prefix(src, r[1]) and in_prefix(dst, r[2])
                and in_range(sport, r[3]) and in_range(dport, r[4])):
            return r[5]
    return 3


def inside(rnd, r):
    """A packet (proto, src, dst, sport, dport) inside rule @r."""
    def addr(p):
        host = rnd.getrandbits(32 - p[1]) if p[1] < 32 else 0
        return p[0] | host

    def port(pr):
        return rnd.randrange(pr[0], pr[1] + 1) if pr is not None else rnd.randrange(1024, 65536)

    return (r[0], addr(r[1]), addr(r[2]), port(r[3]), port(r[4]))


def frame(pkt):
    proto, src, dst, sport, dport = pkt
    l4 = TCP(sport=sport, dport=dport) if proto == 6 else UDP(sport=sport, dport=dport)
    return bytes(Ether(**MAC) / IP(src=ip(src), dst=ip(dst)) / l4)


def expected(targets):
    """(role 1, role 2, role 3, rule drops) of a list of targets."""
    return tuple(sum(1 for t in targets if t == want) for want in (1, 2, 3, DROP))


def main():
    env = nvenv.setup("rules_100k", timeout=880, description=__doc__)
    chk = check.Checker("rules_100k")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, "manager/netvmctl"])
    rnd = random.Random(SEED)
    rules = make_rules(rnd)
    narrow = make_pairs(rnd, rules)
    picks = sorted(rnd.sample(range(N - 1), PROBES - 8) + rnd.sample(range(N - 10000, N - 1), 8))
    probes = [inside(rnd, rules[k]) for k in picks] + [inside(rnd, r) for r in narrow]
    from_last = [(17, LAST[0] | rnd.getrandbits(16), 0x0a000201, 4000 + i, 53) for i in range(8)]
    from_10 = [(6, 0x0a010000 | rnd.getrandbits(16), 0x0a000201, 5000 + i, 80) for i in range(8)]
    t0 = time.monotonic()
    want_probes = [first_match(rules, p) for p in probes]
    want_last = [first_match(rules, p) for p in from_last]
    want_10 = [first_match(rules, p) for p in from_10]
    print(f"  model: {len(probes) + 16} frames against {N} rules in "
          f"{time.monotonic() - t0:.1f} s; probe targets {expected(want_probes)} "
          "(role 1, 2, 3, drop)")
    # pair i: the wider rule first when i is even (its target, not the narrower's)
    chk.ok(all((w == r[5]) == (i % 2 == 1)
               for i, (w, r) in enumerate(zip(want_probes[-PAIRS:], narrow))),
           "the model: in each overlapping pair the first rule decides")
    chk.eq((set(want_last), set(want_10)), ({2}, {3}),
           "the model: 10.9/16 takes the last rule, the rest of 10/8 the default")

    inj = Injector(env)
    core = Core(env, "rk", config_text(rules), [inj.vdev(0), "net_null0,no-rx=1"])
    t0 = time.monotonic()
    err = core.start_ready(timeout=400)
    if not chk.ok(err is None, f"core starts with {N} rules in its file", err or ""):
        env.done(chk)
    print(f"  core ready {time.monotonic() - t0:.1f} s after start ({N} rules parsed and built)")
    nfs = [Nf(env, core, nvenv.BRIDGE_BIN, r, name=f"role{r}") for r in (1, 2, 3)]
    for nf in nfs:
        err = nf.start_attached(timeout=60)
        if not chk.ok(err is None, f"{nf.name} attaches", err or ""):
            env.done(chk)
    keys = tuple(f"nf{nf.id}_rx" for nf in nfs) + ("drop_rule_drop",)

    def nv(*args):
        return ctl.netvmctl(env, ["-c", core.sock, "-t", "600"] + list(args), timeout=620)

    chk.section(f"the file's {N} rules")
    rc, out, err = nv("rule", "list")
    lines = out.splitlines()
    chk.ok(rc == 0 and len(lines) == N + 1 and lines[-2].startswith(f"{N - 1} {rule_text(rules[-1])}"),
           f"rule list: {N} rules, the last as written", f"rc {rc}, {len(lines)} lines, "
           f"last rule {lines[-2] if len(lines) > 1 else ''!r}, err {err!r}")
    chk.eq(sent_through(chk, core, inj, [frame(p) for p in probes], "inside random rules", keys),
           expected(want_probes),
           "frames inside random rules and overlapping pairs: each by its first matching rule")
    chk.eq(sent_through(chk, core, inj, [frame(p) for p in from_last], "from 10.9/16", keys),
           expected(want_last), "frames from 10.9/16: rule 99999 (the last), role 2")
    chk.eq(sent_through(chk, core, inj, [frame(p) for p in from_10], "from 10.1/16", keys),
           expected(want_10), "frames no rule matches: the default, role 3")

    chk.section(f"rule add at {N} rules: the datapath goes on during the rebuild")
    argv = [env.binary("manager/netvmctl"), "-c", core.sock, "-t", "600", "rule", "add", "0",
            '{ src = "10.9.0.0/16"; role = 1; }']
    t0 = time.monotonic()
    add = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    env.add_cleanup(lambda: add.poll() is None and add.kill())
    during = sent_through(chk, core, inj, [frame(p) for p in from_last], "during the rebuild", keys)
    running = add.poll() is None
    out, err = add.communicate(timeout=620)
    took = time.monotonic() - t0
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    chk.ok(add.returncode == 0 and f"{N + 1} rules" in out, "rule add 0 accepted",
           f"rc {add.returncode} out {out!r} err {err!r}")
    print(f"  rule add at {N} rules: {took:.1f} s (netvmctl's wall time)")
    if running:
        chk.eq(during, expected(want_last),
               "frames sent while the classifier was rebuilt: classified by the old rules")
    else:
        # the rebuild ended before the frames were through: nothing to compare
        print("  note: the rebuild ended before the frames were counted; the during-rebuild "
              "check is inconclusive this run")
    chk.eq(sent_through(chk, core, inj, [frame(p) for p in from_last], "after rule add", keys),
           (len(from_last), 0, 0, 0), "after rule add: 10.9/16 to role 1 (the new rule 0)")
    chk.eq(sent_through(chk, core, inj, [frame(p) for p in probes], "inside random rules", keys),
           expected(want_probes), "the random rules still decide as before")

    chk.section(f"a file over the limit ({LIMIT + 1} rules) is refused")
    path = env.path("over.conf")
    with open(path, "w") as f:
        f.write(HEAD + "rules = (\n" + ",\n".join(["  { role = 1; }"] * (LIMIT + 1)) +
                "\n);\n")
    rc, out, err = nv("core", "reload", path)
    reason = f"rules: {LIMIT + 1} rules; at most {LIMIT} (the classifier's limit)"
    chk.ok(rc == 1 and reason in err, f"core reload refused: '{reason}'",
           f"rc {rc} out {out!r} err {err!r}")
    rc, out, err = nv("rule", "list")
    chk.eq(len(out.splitlines()), N + 2, f"the {N + 1} rules stay in force")

    chk.section("shutdown")
    for nf in nfs:
        rc, _ = nf.stop_counters()
        chk.eq(rc, 0, f"{nf.name} exits 0")
    core.stop_checked(chk, timeout=120)
    env.done(chk)


if __name__ == "__main__":
    main()
