#!/usr/bin/env python3
"""nf_counters: `netvmctl nf counters ID` shows an NF's published counters, drop reasons included.

Port 0 receives exactly the frames the test writes (nvtest.inject), port 1
is a net_null sink; l3fwd (role 1) routes 10.1.0.0/16 and 2001:db8:1::/64
out of port 1. netvm-manager (no VMs) answers netvmctl, reading the core's
telemetry /netvm/nf_counters,ID. The test sends, and so expects:

  forwarded    10 IPv4 to 10.1/16 + 6 IPv6 to 2001:db8:1::/64
  no_route     4 IPv4 to 10.9/16
  ttl_expired  3 IPv4 to 10.1/16 with TTL 1
  not_ip       5 ARP frames

Both the table and --json must show these values for the l3fwd's id; an id
no NF has is refused by the manager (exit 1) and a word that is not an id
is a usage error (exit 2), each saying so.

Then 13 bridges more (14 NFs): the core's /netvm/stats is cut at DPDK's
256 dictionary entries before the last NFs' counters, /netvm/nfs lists
all 14 ids, and the manager completes the cut from /netvm/nf,ID: `nf
list`, `--json stats` and `metrics` show every NF with its pid.
"""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import ARP, Ether  # noqa: E402

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector  # noqa: E402
from nvtest.proc import Core, Manager, Nf  # noqa: E402
from nvtest.telemetry import TelemetryError  # noqa: E402

NETVMCTL_BIN = "manager/netvmctl"
CONFIG = """core = {
  pool_buffers = 2048;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
ROUTES = "10.1.0.0/16 1 02:00:00:00:01:01\n2001:db8:1::/64 1 02:00:00:00:01:01\n"
MAC = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def frames():
    """The frames to send and the counters they must give."""
    ip4 = [Ether(**MAC) / IP(src="10.0.0.1", dst=f"10.1.0.{i + 1}") / UDP(sport=1, dport=2)
           for i in range(10)]
    ip6 = [Ether(**MAC) / IPv6(src="2001:db8:9::1", dst=f"2001:db8:1::{i + 1}") / UDP()
           for i in range(6)]
    noroute = [Ether(**MAC) / IP(src="10.0.0.1", dst=f"10.9.0.{i + 1}") / UDP() for i in range(4)]
    ttl = [Ether(**MAC) / IP(src="10.0.0.1", dst="10.1.0.1", ttl=1) / UDP() for _ in range(3)]
    arp = [Ether(src=MAC["src"], dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=f"10.0.0.{i + 9}")
           for i in range(5)]
    want = {"forwarded": 16, "no_route": 4, "ttl_expired": 3, "not_ip": 5}
    return [bytes(f) for f in ip4 + ip6 + noroute + ttl + arp], want


def table(text):
    """{counter: value} of `nf counters` table output (after its title and header)."""
    lines = text.splitlines()
    out = {}
    for line in lines[2:]:
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return lines[:2], out


def main():
    env = nvenv.setup("nf_counters", timeout=110, description=__doc__)
    chk = check.Checker("nf_counters")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN, nvenv.BRIDGE_BIN,
                                      Manager.BIN, NETVMCTL_BIN])
    inj = Injector(env)
    core = Core(env, "nc", CONFIG, [inj.vdev(0), "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    routes = env.path("routes.txt")
    with open(routes, "w") as f:
        f.write(ROUTES)
    nf = Nf(env, core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], name="l3fwd")
    err = nf.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        env.done(chk)
    mgr = Manager(env, core)
    msock = mgr.sock
    mgr.start()

    def ctl(*args):
        r = subprocess.run([env.binary(NETVMCTL_BIN), "-s", msock] + list(args),
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    sent, want = frames()
    inj.send(sent)
    # the NF publishes its counters as it goes: wait until they add up
    deadline = time.monotonic() + 30
    rc, out, err, got = None, "", "", {}
    while time.monotonic() < deadline:
        rc, out, err = ctl("nf", "counters", str(nf.id))
        head, got = table(out)
        if rc == 0 and all(got.get(k) == v for k, v in want.items()):
            break
        time.sleep(0.3)
    chk.ok(rc == 0, f"netvmctl nf counters {nf.id} exits 0", f"rc {rc} {err}")
    chk.ok(len(head) == 2 and head[0] == f"nf {nf.id} counters:" and
           head[1].split() == ["COUNTER", "VALUE"],
           "a title naming the NF, then the header COUNTER VALUE", out[:200])
    chk.eq({k: got.get(k) for k in want}, want,
           "the table: forwarded, and the drop reasons no_route, ttl_expired, not_ip")
    chk.eq({k: got.get(k) for k in ("malformed", "bad_cksum", "bad_port")},
           {"malformed": 0, "bad_cksum": 0, "bad_port": 0}, "the other drop reasons are 0")
    rc, out, err = ctl("--json", "nf", "counters", str(nf.id))
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {}
    chk.ok(rc == 0, "--json nf counters exits 0", f"rc {rc} {err}")
    chk.eq((doc.get("ok"), doc.get("id")), (True, nf.id), "--json: ok and the NF's id")
    chk.eq({k: doc.get("counters", {}).get(k) for k in want}, want, "--json: the same counters")
    chk.eq(doc.get("counters"), got, "--json and the table agree on every counter")

    # an id no NF has is the manager's refusal; an argument that is not an id,
    # a usage error
    for args, status, reason in ((["nf", "counters", "999"], 1, "no NF instance 999 is attached"),
                                 (["nf", "counters", "x1"], 2,
                                  "'x1' is not an NF instance id")):
        rc, out, err = ctl(*args)
        chk.ok(rc == status and reason in err, f"{' '.join(args)}: exit {status}, '{reason}'",
               f"rc {rc} out {out!r} err {err!r}")

    chk.section("14 NFs: more than /netvm/stats holds")
    bridges = []
    for i in range(13):
        br = Nf(env, core, nvenv.BRIDGE_BIN, 2, name=f"bridge{i}")
        err = br.start_attached()
        if not chk.ok(err is None, f"bridge {i} attaches", err or ""):
            env.done(chk)
        bridges.append(br)
    pids = {n.id: n.pid for n in [nf] + bridges}
    try:
        st = core.tel.command("/netvm/stats")
        ids = core.tel.command("/netvm/nfs")
    except TelemetryError as exc:
        st, ids = {}, str(exc)
    chk.ok(len(st) == 256 and f"nf{bridges[-1].id}_pid" not in st,
           "/netvm/stats: 256 entries, the last NF's cut", f"{len(st)} entries")
    chk.eq(ids, sorted(pids), "/netvm/nfs: the 14 attached ids, in order")
    rc, out, err = ctl("--json", "nf", "list")
    try:
        nfs = {n["id"]: n.get("pid") for n in json.loads(out)["nfs"]}
    except (ValueError, KeyError, TypeError):
        nfs = out[:300]
    chk.eq(nfs, pids, "nf list: every NF, with its pid")
    rc, out, err = ctl("--json", "stats")
    try:
        stats = json.loads(out)["stats"]
    except (ValueError, KeyError):
        stats = {}
    chk.eq({i: stats.get(f"nf{i}_pid") for i in pids}, pids,
           f"--json stats: nf<I>_pid of every NF ({len(stats)} counters)")
    rc, out, err = ctl("metrics")
    got_pids = {int(m.group(1)): int(m.group(2)) for m in
                re.finditer(r'^netvm_nf_pid\{nf="(\d+)"[^}]*\} (\d+)$', out, re.M)}
    chk.eq(got_pids, pids, "metrics: netvm_nf_pid of every NF")
    for br in bridges:
        br.stop()

    mgr.stop()
    rc, _ = nf.stop_counters()
    chk.eq(rc, 0, "l3fwd exits 0")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
