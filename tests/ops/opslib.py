"""Helpers of the ops suite: a core between an injected and a captured port,
and netvm-manager running host-process NFs (no guest image needed)."""

import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "manager"))

from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

import mgrtest  # noqa: E402
from mgrtest import MANAGER_BIN, NETVMCTL_BIN, Manager  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.capture import Capture  # noqa: E402
from nvtest.inject import Injector  # noqa: E402
from nvtest.proc import Core, Proc  # noqa: E402

PAYLOAD = 14 + 20 + 8
PAYLOAD6 = 14 + 40 + 8


def frame(flow, seq, src=None, tcp=None):
    """Flow @flow's packet @seq: UDP, or TCP with flags @tcp ("A", "S"),
    carrying (flow, seq); IPv6 when the source @src is an IPv6 address."""
    src = src or f"10.0.{(flow >> 8) & 255}.{flow & 255}"
    l4 = (UDP(sport=1000 + (flow & 0x7fff), dport=2000) if tcp is None else
          TCP(sport=1000 + (flow & 0x7fff), dport=80, flags=tcp, seq=1000 + seq, ack=1))
    ip = IPv6(src=src, dst="2001:db8:100::1") if ":" in src else IP(src=src, dst="10.1.0.1")
    return bytes(Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") /
                 ip / l4 / (struct.pack("!II", flow, seq) + bytes(56)))


def parse(data):
    """(flow, seq) of a captured frame, or None."""
    if len(data) > 20 and data[12:14] == b"\x86\xdd":
        off = PAYLOAD6 + (12 if data[20] == 6 else 0)
    else:
        off = PAYLOAD + (12 if len(data) > 23 and data[23] == 6 else 0)  # TCP: 20-byte header
    if len(data) < off + 8:
        return None
    return struct.unpack_from("!II", data, off)


class Rig:
    """Core with port 0 injected and port 1 captured, and what went through."""

    def __init__(self, env, chk, tag, config):
        self.inj = Injector(env)
        self.out = Injector(env, tag="k")
        self.cap = Capture(env, self.out)
        self.core = Core(env, tag, config, [self.inj.vdev(0), self.out.vdev(1)])
        err = self.core.start_ready()
        if not chk.ok(err is None, "core starts", err or ""):
            env.done(chk)
        self.sent = defaultdict(int)  # flow -> packets sent
        self.got = defaultdict(list)  # flow -> seqs in output order
        self.lock = threading.Lock()

    def send(self, flows, src=None, tcp=None):
        """One packet of each of @flows (@src, @tcp: see frame())."""
        self.send_from([(f, src) for f in flows], tcp)

    def send_from(self, flow_srcs, tcp=None):
        """One packet of each flow of the (flow, source) pairs @flow_srcs, in one write."""
        with self.lock:  # a Flood thread sends too
            frames = []
            for f, src in flow_srcs:
                frames.append(frame(f, self.sent[f], src, tcp))
                self.sent[f] += 1
            self.inj.send(frames)

    def collect(self):
        for data in self.cap.take():
            p = parse(data)
            if p is not None:
                self.got[p[0]].append(p[1])

    def through(self, timeout=60.0):
        """Wait until port 0 took every frame and each left or was dropped."""
        sent = self.inj.sent
        ok, st = self.core.tel.wait_for(
            lambda s: s.get("port0_rx", -1) >= sent and
            s.get("port1_tx", 0) + sum(v for k, v in s.items() if k.startswith("drop_")) >= sent,
            timeout)
        time.sleep(0.3)
        self.collect()
        return ok, st

    def missed(self, st):
        """Where frames went missing before the core took them, for a message."""
        return (f"port0_rx {st.get('port0_rx')} of {self.inj.sent} sent, port0_rx_missed "
                f"{st.get('port0_rx_missed')} (the kernel ring), pool0_free "
                f"{st.get('pool0_free')} of {st.get('pool0_total')}")

    def lost(self, flows):
        return {f: self.sent[f] - len(self.got[f]) for f in flows
                if self.sent[f] != len(self.got[f])}

    def reordered(self, flows):
        return [f for f in flows if any(b <= a for a, b in zip(self.got[f], self.got[f][1:]))]


def flows(rig, mgr, stop, timeout, period=0.02, policy=0):
    """Flows of 5 packets, 6 new ones every @period s (~1500 packets/s at
    0.02), until stop(policy @policy) or @timeout; every flow begun is
    finished. The last policy seen."""
    live, flow, rnd, p = [], 0, 0, {}
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        live = [f for f in live if rig.sent[f] < 5] + list(range(flow, flow + 6))
        flow += 6
        rig.send(live)
        rnd += 1
        if rnd % 5 == 0:
            rig.collect()
            p = pol(mgr, policy)
            if p and stop(p):
                break
        time.sleep(max(0.0, t0 + rnd * period - time.monotonic()))
    while live:
        live = [f for f in live if rig.sent[f] < 5]
        rig.send(live)
        rig.collect()
        time.sleep(period)
    return p


def check_loss(chk, rig):
    """Every packet sent came out, none reordered in its flow."""
    lost = rig.lost(list(rig.sent))
    chk.ok(not lost, f"0 packets lost in {len(rig.sent)} flows ({sum(rig.sent.values())} "
           "packets)", f"{list(lost.items())[:5]}; {rig.missed(rig.core.stats())}")
    bad = rig.reordered(list(rig.sent))
    chk.ok(not bad, f"0 flows reordered of {len(rig.sent)}", str(bad[:5]))


def check_passes(chk, rig, flows_, what):
    """Once what was sent is through, one packet of each of @flows_ comes out."""
    rig.through(60)
    sent = {f: rig.sent[f] for f in flows_}
    got = {f: len(rig.got[f]) for f in flows_}
    rig.send(flows_)
    rig.through(60)
    missing = {f: (rig.sent[f] - sent[f]) - (len(rig.got[f]) - got[f]) for f in flows_}
    chk.ok(all(v == 0 for v in missing.values()), what, str(missing))


def second_refused(env, chk, mgr):
    """A second netvm-manager on @mgr's configuration (its socket and state
    directory) refuses to start, and takes nothing of the first's: every
    file of the state directory stays, the first answers on. The first is
    stopped (SIGSTOP) meanwhile: its own work (a policy starting an
    instance) would change the directory too. A stopped manager's socket
    still takes connections, which is what the second one tries."""
    os.kill(mgr.popen.pid, signal.SIGSTOP)
    try:
        before = sorted(os.listdir(mgr.state_dir))
        res = subprocess.run([env.binary(MANAGER_BIN), "-c", mgr.conf], capture_output=True,
                             text=True, timeout=60)
        after = sorted(os.listdir(mgr.state_dir))
    finally:
        os.kill(mgr.popen.pid, signal.SIGCONT)
    msg = res.stderr.strip()
    chk.ok(res.returncode == 1 and f"{mgr.sock} is in use by a running netvm-manager" in msg,
           "a second netvm-manager on the same socket refuses to start", msg)
    chk.eq(after, before,
           "it leaves the first's state directory as it was (leases, pidfiles, logs)")
    chk.ok(mgr.vms() is not None, "the first manager answers on")


class HostManager(Manager):
    """netvm-manager with no VM (no guest image needed), @extra sections and
    @manager_extra keys of its manager group."""

    def __init__(self, env, core, extra, manager_extra=""):  # pylint: disable=super-init-not-called
        self.state_dir = env.path("vms")
        self.sock = env.path("manager.sock")
        self.conf = env.path("manager.conf")
        with open(self.conf, "w") as f:
            f.write(f'manager = {{ socket = "{self.sock}"; state_dir = "{self.state_dir}"; '
                    f'{manager_extra} }};\n'
                    f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n'
                    + extra)
        Proc.__init__(self, env, "manager", [env.binary(MANAGER_BIN), "-c", self.conf])
        self.ctl = env.binary(NETVMCTL_BIN)


def vm_test(name, timeout, description):
    """The start of a test that boots guests: env, checker, root, hugepages, the
    core and manager built, and the guest image (kernel, initrd; exit 77 without)."""
    env = nvenv.setup(name, timeout=timeout, description=description)
    chk = check.Checker(name)
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, MANAGER_BIN, NETVMCTL_BIN])
    kernel, initrd = mgrtest.guest_image(env)
    return env, chk, kernel, initrd


def manager(env, chk, core, extra, manager_extra=""):
    """netvm-manager for @core, no VM, with @extra sections (scale, dos) and
    @manager_extra keys (restart_backoff_ms, ...)."""
    mgr = HostManager(env, core, extra, manager_extra)
    err = mgr.start_ready()
    if not chk.ok(err is None, "netvm-manager starts", err or ""):
        env.done(chk)
    return mgr


def pol(mgr, i=0):
    """Policy @i of `netvmctl scale list`, or {}."""
    rc, out = mgr.netvmctl("scale", "list")
    if rc != 0 or not isinstance(out, dict) or len(out.get("policies") or []) <= i:
        return {}
    return out["policies"][i]


def alive(p):
    """The instances of policy @p that are not stopped."""
    return [u for u in p.get("instances", []) if u["state"] != "stopped"]


def wait_pol(mgr, pred, timeout):
    """Wait until pred(policy) holds: (True, policy), or (False, the last one)."""
    deadline = time.monotonic() + timeout
    p = {}
    while time.monotonic() < deadline:
        p = pol(mgr)
        if p and pred(p):
            return True, p
        time.sleep(0.1)
    return False, p


class Flood(threading.Thread):
    """Calls @burst(i) (i = 0, 1, ...) every @period s until stop()."""

    def __init__(self, burst, period=0.1):
        super().__init__(daemon=True)
        self.burst, self.period, self.n = burst, period, 0
        self.halt = threading.Event()
        self.start()

    def run(self):
        while not self.halt.wait(self.period):
            self.burst(self.n)
            self.n += 1

    def stop(self):
        self.halt.set()
        self.join()


def finish(env, chk, rig, mgr, what="stops its instances", victim=None, timeout=15.0):
    """Stop the manager (exit 0 checked; @timeout s: VMs take longer), then the
    NF @victim when given, then the core (no buffer leaked), and end."""
    rc = mgr.stop(timeout=timeout)
    chk.eq(rc, 0, f"netvm-manager exits 0 on SIGINT ({what})")
    if victim is not None:
        rc, _ = victim.stop_counters()
        chk.eq(rc, 0, "the victim NF exits 0")
    rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    rig.core.stop_checked(chk)
    env.done(chk)


class Stall(threading.Thread):
    """Asks netvm-manager @what (netvmctl words) every @period s until stop():
    the longest answer (s) is how long its loop was busy at most (a bound on
    what provisioning blocks), .worst; answers that failed, .failed."""

    def __init__(self, mgr, what=("vm", "list"), period=0.05):
        super().__init__(daemon=True)
        self.mgr, self.what, self.period = mgr, what, period
        self.worst, self.asked, self.failed = 0.0, 0, 0
        self.halt = threading.Event()
        self.start()

    def run(self):
        while not self.halt.wait(self.period):
            t = time.monotonic()
            rc, _ = self.mgr.netvmctl(*self.what)
            self.worst = max(self.worst, time.monotonic() - t)
            self.asked += 1
            self.failed += rc != 0

    def stop(self):
        self.halt.set()
        self.join()
        return self.worst
