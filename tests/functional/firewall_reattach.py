#!/usr/bin/env python3
"""firewall_reattach: after a re-attach, the ports are those of the core attached to now.

A firewall in a VM that moves to another core engine is parked, finds its
private region replaced and re-attaches (docs/control.md); the new core may
have another number of ports. Here the move is staged on the host: the
firewall is parked with `park`, then the test writes, through
/proc/PID/mem, the port count of the core it re-attaches to into the pool
header the firewall maps (the core engine keeps its own count and does not
read it back; the test puts 2 back after each case) and marks its private header
no longer parked, which is what a replaced region looks like to netlib. The
rings are the same ones, so each firewall re-attaches before any packet went
through them (a new core's rings are fresh): one firewall per case.

  fewer     attached with 2 ports, re-attached to 1: the rules file is read
            again for 1 port (docs/firewall.md) and a SYN into port 0 that
            the allow action (pair) sends out of port 1 is dropped and
            counted bad_port, and opens no connection; nothing leaves by
            port 1
  more      attached with 2 ports, re-attached to 1, then to 2 again: the same
            SYN passes
  refused   rules that name port 1, attached with 2 ports, re-attached to 1:
            the re-attach's reload fails, the rules in force stay, but port 1
            is still a port the core lacks: bad_port, no connection

Every expected verdict and counter below is written by hand.
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, TCP  # noqa: E402

from nvtest import check, ctl  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Nf  # noqa: E402
from nvtest.rawnf import NF_RUNNING, PRIV_NF_STATE_OFF  # noqa: E402
from nvtest.regions import NB_PORTS_OFF, Regions  # noqa: E402
from nvtest.fwframes import CONFIG, inside  # noqa: E402
from nvtest.twoport import TwoPorts  # noqa: E402

RULES = "allow all\n"
# valid only on a core with port 1
RULES_PORT1 = "in 1 deny all\nallow all\n"
A, B = "10.0.1.2", "10.0.2.80"


def syn(sport):
    return inside(IP(src=A, dst=B), TCP(sport=sport, dport=80, flags="S", seq=1))


def count(nf, needle):
    return sum(needle in line for line in nf.stderr().splitlines())


def wait_count(nf, needle, n, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count(nf, needle) >= n:
            return True
        time.sleep(0.05)
    return False


def reattach(chk, nv, nf, regs, nb_ports, done):
    """Park @nf, give it a core of @nb_ports ports, let it re-attach; whether it did."""
    rc, out, err = nv(["nf", "cmd", str(nf.id), "park"])
    if not chk.ok(rc == 0 and "parked" in out, "park", f"rc={rc} {out} {err}"):
        return False
    regs.write_u32(regs.pool + NB_PORTS_OFF, nb_ports)
    regs.write_u32(regs.priv + PRIV_NF_STATE_OFF, NF_RUNNING)
    return chk.ok(wait_count(nf, "re-attached as instance", done) and
                  wait_count(nf, "re-attach: reload", done),
                  f"the firewall re-attaches to {nb_ports} port(s) and reads its rules again",
                  nf.tail(8))


def case(env, chk, rig, nv, name, text, moves, sport):
    """A firewall with rules @text attached to the core's 2 ports, re-attached
    to cores of @moves ports in turn, then a SYN into port 0; (the firewall,
    its counters), or None."""
    chk.section(f"{name}: rules {text!r}, re-attached to " +
                ", then ".join(f"{n} port(s)" for n in moves))
    rules = env.path(f"{name}.rules")
    with open(rules, "w") as f:
        f.write(text)
    nf = Nf(env, rig.core, nvenv.FIREWALL_BIN, 1, ["--rules", rules], name=f"fw-{name}")
    err = nf.start_attached()
    if not chk.ok(err is None, "the firewall attaches", err or ""):
        return None
    regs = Regions(nf.pid)
    if not chk.ok(regs.pool is not None and regs.priv is not None,
                  "its pool and private regions found in its mappings"):
        nf.stop()
        return None
    chk.eq(regs.read_u32(regs.pool + NB_PORTS_OFF), 2, "its pool header says 2 ports")
    for i, n in enumerate(moves):
        if not reattach(chk, nv, nf, regs, n, i + 1):
            nf.stop()
            return None
    ports1 = moves[-1]
    frame = syn(sport)
    rig.send(0, [frame], "a SYN into port 0")
    got = rig.captured([0, 1 if ports1 > 1 else 0])
    chk.eq(got, [[], [frame] if ports1 > 1 else []],
           "out of port 1 (pair)" if ports1 > 1 else
           "nothing leaves: port 1 is not a port of the core attached to now")
    regs.write_u32(regs.pool + NB_PORTS_OFF, 2)  # as the core made it; read at re-attach only
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "the firewall exits 0 on SIGINT")
    return nf, counters


def main():
    env = nvenv.setup("firewall_reattach", timeout=150, description=__doc__)
    chk = check.Checker("firewall_reattach")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.FIREWALL_BIN, "manager/netvmctl"])
    rig = TwoPorts(env, chk, "fr", CONFIG)
    err = rig.core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)

    def nv(args):
        return ctl.netvmctl(env, ["-c", rig.core.sock] + args)

    keys = ("allowed_new", "bad_port", "no_match", "denied", "ct_created")

    res = case(env, chk, rig, nv, "fewer", RULES, [1], 40001)
    if res is not None:
        chk.ok(count(res[0], "re-attach: reloaded") == 1, "the rules load for 1 port",
               res[0].tail(5))
        chk.eq({k: res[1].get(k) for k in keys},
               {"allowed_new": 0, "bad_port": 1, "no_match": 0, "denied": 0, "ct_created": 0},
               "the SYN is counted bad_port and opens no connection")
    res = case(env, chk, rig, nv, "more", RULES, [1, 2], 40002)
    if res is not None:
        chk.ok(count(res[0], "re-attach: reloaded") == 2, "the rules load for 1, then 2 ports",
               res[0].tail(5))
        chk.eq({k: res[1].get(k) for k in keys},
               {"allowed_new": 1, "bad_port": 0, "no_match": 0, "denied": 0, "ct_created": 1},
               "the SYN is allowed_new and opens a connection")
    res = case(env, chk, rig, nv, "refused", RULES_PORT1, [1], 40003)
    if res is not None:
        chk.ok(count(res[0], "re-attach: reload failed") == 1 and
               count(res[0], "refused.rules:1:4: port 1: the core engine has 1 port(s) (0..0)")
               == 1, "the re-attach's reload fails: refused.rules:1:4 names port 1",
               res[0].tail(5))
        chk.eq({k: res[1].get(k) for k in keys},
               {"allowed_new": 0, "bad_port": 1, "no_match": 0, "denied": 0, "ct_created": 0},
               "the rules in force allow the SYN, the port the core lacks drops it: bad_port, "
               "no connection")

    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
