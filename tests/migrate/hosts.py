"""Two simulated hosts of the migrate suite, and the move of a VM from one to the other.

  host A:  nsA 10.0.1.2 ── veth ── core A ── veth ── nsB 10.0.2.2     manager A
  host B:  nsC 10.0.1.2 ── veth ── core B ── veth ── nsD 10.0.2.2     manager B
           (nsC and nsD have nsA's and nsB's MACs: the guest's route file
           names them as next hops on either host)

VM "l3fwd" runs under manager A (launcher qemu, the patched QEMU); manager B
has the same VM configured with autostart = false. cross_host.py moves it over
B's control socket (unix:), cross_host_tcp.py over B's migration port (tcp:).
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "manager"))

import migtest  # noqa: E402
import mgrtest  # noqa: E402
import traffic  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402

VM = traffic.VM
FLOOD = 600          # pings every 10 ms on host A: about 6 s, the move in the middle
FLOOD_LEAD_S = 1.5   # flood before the move starts
# host B's flood runs until FLOOD_TAIL_S after the move, however long the move takes (the
# destination's set-up under TCG on a loaded machine took 8 s), at most FLOOD_B_MAX pings
FLOOD_TAIL_S = 2.0
FLOOD_B_MAX = 9000
RUNNING_S = 60       # the VM running under manager B after the move


class Hosts:
    """Hosts A (a, b, core_a, mgr_a) and B (c, d, core_b, mgr_b); vm: the VM at A."""


def start(env, chk, kernel, initrd, qemu, extra_a="", extra_b="", netns_b=None):
    """Both hosts up, the VM running and routing at A; manager B's own manager keys in
    @extra_b, A's in @extra_a; manager B (and so its QEMUs) in network namespace
    @netns_b when given. A Hosts."""
    h = Hosts()
    h.a, h.b, h.core_a = mgrtest.net_core(env, chk, "xa", traffic.CONFIG)
    h.c, h.d, h.core_b = second_host(env, chk, h.a, h.b)
    routes = migtest.routes_file(env, h.a, h.b)
    extra = f'qemu = "{qemu}"; ' + traffic.MANAGER_EXTRA
    vm_conf = traffic.vm_config(kernel, initrd, routes)
    h.mgr_a = mgrtest.Manager(env, h.core_a, [vm_conf], extra + " " + extra_a)
    h.mgr_b = mgrtest.Manager(env, h.core_b, [vm_conf.replace(
        'launcher = "qemu";', 'launcher = "qemu"; autostart = false;')],
        extra + " " + extra_b, name="mgrb")
    if netns_b is not None:
        h.mgr_b.argv = ["ip", "netns", "exec", netns_b] + h.mgr_b.argv
    for mgr in (h.mgr_a, h.mgr_b):
        err = mgr.start_ready()
        if err:
            chk.fatal(f"netvm-manager {mgr.name} starts", err)
    h.vm = traffic.wait_running(chk, h.core_a, h.mgr_a, "start")
    if h.vm is None or not traffic.ping_both(chk, h.core_a, h.vm, h.a, h.b, "start"):
        chk.fatal("the VM routes at A before the move")
    chk.eq(h.mgr_b.vm(VM).get("state"), "stopped", "start: manager B has the VM, stopped")
    return h


def runs_on_at_a(chk, h, tag):
    """Check that the VM runs on under manager A in the same QEMU and routes."""
    now = h.mgr_a.vm(VM)
    chk.ok(now.get("state") == "running" and now.get("pid") == h.vm["pid"] and
           now.get("nf_id") == h.vm["nf_id"], f"{tag}: manager A: the same QEMU, same "
           "instance", str(now))
    traffic.ping_both(chk, h.core_a, now, h.a, h.b, tag)


def finish(env, chk, h, moved):
    """vm stop at B (every buffer back), both managers and cores stopped, the verdict."""
    chk.section("stop: every buffer back at B")
    rc, _ = h.mgr_b.netvmctl("vm", "stop", VM)
    chk.eq(rc, 0, f"netvmctl -s B vm stop {VM}")
    if moved is not None:
        migtest.check_pool_whole(chk, h.core_b, moved["nf_id"], "stop: core B")
    chk.eq(h.mgr_b.stop(15, 30), 0, "netvm-manager B exits 0 on SIGTERM")
    h.core_b.stop_checked(chk)
    mgrtest.shutdown(env, chk, h.mgr_a, h.core_a)


def second_host(env, chk, a, b):
    """Namespaces C and D (A's and B's addresses and MACs) and core B on their veths."""
    pid = os.getpid()
    c = nvnetns.NsLink(env, f"nvC-{pid}", f"nvc{pid}h", f"nvc{pid}n", a.cidr, a.gw)
    d = nvnetns.NsLink(env, f"nvD-{pid}", f"nvd{pid}h", f"nvd{pid}n", b.cidr, b.gw)
    try:
        for ns, twin in ((c, a), (d, b)):
            ns.create()
            subprocess.run(["ip", "-n", ns.ns, "link", "set", "dev", ns.ns_if, "address",
                            twin.ns_mac], check=True, capture_output=True, text=True)
            ns.ns_mac = twin.ns_mac
            ns.set_gateway_mac(ns.host_mac)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        chk.fatal("host B's namespaces set up", f"{exc}: {getattr(exc, 'stderr', '')}")
    core = mgrtest.Core(env, "xb", traffic.CONFIG, [f"net_af_packet0,iface={c.host_if}",
                                                    f"net_af_packet1,iface={d.host_if}"])
    err = core.start_ready()
    if not chk.ok(err is None, "core B starts on host B's veths", err or ""):
        env.done(chk)
    return c, d, core


def nf_counters(mgr):
    """netlib's counters of the VM's NF under @mgr ({name: value})."""
    res = subprocess.run([mgr.ctl, "-s", mgr.sock, "-t", "30", "vm", "cmd", VM, "stats"],
                         capture_output=True, text=True, timeout=60)
    return {k: int(v) for k, v in re.findall(r"^(\w+) (\d+)$", res.stdout, re.M)}


def case_move(chk, h, uri):
    """Move the VM from A to B (manager B at @uri) under two floods, with canaries on both
    pools; B's vm dict after the move, or None when it failed."""
    a, b, core_a, c, d, core_b = h.a, h.b, h.core_a, h.c, h.d, h.core_b
    mgr_a, mgr_b, vm = h.mgr_a, h.mgr_b, h.vm
    before = nf_counters(mgr_a)
    can_a, can_b = migtest.Canary.of_core(core_a), migtest.Canary.of_core(core_b)
    can_a.start()
    can_b.start()
    flood_a = migtest.Flood(a, b, FLOOD, quiet=False)
    flood_b = migtest.Flood(c, d, FLOOD_B_MAX, quiet=False)
    time.sleep(FLOOD_LEAD_S)
    t0 = time.monotonic()
    rc, rep = mgr_a.netvmctl("vm", "migrate", VM, "--to", uri)
    took = time.monotonic() - t0
    time.sleep(FLOOD_TAIL_S)
    flood_b.stop()
    sent_a, got_a, out_a = flood_a.result(90)
    sent_b, got_b, out_b = flood_b.result(90)
    can_a.stop()
    can_b.stop()
    ok = chk.ok(rc == 0 and isinstance(rep, dict) and rep.get("ok") is True,
                f"move: netvmctl vm migrate {VM} --to {uri} succeeds",
                str(rep)[:600] + mgr_a.tail() + mgr_b.tail())
    if ok:
        print(f"  move: set-up at B {rep.get('setup_ms')} ms, park {rep.get('park_ms')} ms, "
              f"QEMU total {rep.get('migrate_ms')} ms, downtime {rep.get('downtime_ms')} ms, "
              f"request {rep.get('total_ms')} ms ({took:.2f} s seen by netvmctl)",
              flush=True)
        chk.ok(rep.get("to") == uri and rep.get("old_pid") == vm["pid"] and
               isinstance(rep.get("nf_id"), int), "move: the answer names the destination, "
               "the old QEMU and B's instance", str(rep))
    times_a, times_b = flood_a.reply_times(), flood_b.reply_times()
    chk.ok(sent_a == FLOOD and sent_b is not None and sent_b >= FLOOD_TAIL_S / 0.01 / 2,
           f"move: host A's flood ran to the end, host B's until {FLOOD_TAIL_S} s after the "
           f"move ({sent_a}, {sent_b} pings)", out_a[-200:] + out_b[-200:])
    chk.gt(got_a or 0, 0, f"move: host A's flood got replies before the move ({got_a})")
    chk.gt(got_b or 0, 0, f"move: host B's flood got replies after the move ({got_b})")
    if times_a and times_b:
        gap = times_b[0] - times_a[-1]
        print(f"  data path: last reply on A to first reply on B {gap * 1000:.0f} ms, about "
              f"{gap / 0.01:.0f} pings of a 10 ms flood lost in the move; replies: A "
              f"{got_a} of {sent_a}, B {got_b} of {sent_b}", flush=True)
        chk.ok(gap > 0, "move: every reply on B came after the last one on A (the NF served "
               "one core at a time)", f"gap {gap:.3f} s")
    chk.eq(can_a.nbad, 0, f"move: no page of core A's pool written by anyone else in "
           f"{can_a.sweeps} sweeps of {can_a.pages} pages (first bad: {can_a.bad})")
    chk.eq(can_b.nbad, 0, f"move: no page of core B's pool written by anyone else in "
           f"{can_b.sweeps} sweeps of {can_b.pages} pages (first bad: {can_b.bad})")
    if not ok:
        return None
    done, moved = mgr_b.wait_vm(VM, lambda v: v["state"] == "running", RUNNING_S)
    chk.ok(done and moved.get("pid") == rep.get("pid") and
           moved.get("nf_id") == rep.get("nf_id"), f"move: manager B shows {VM} running in "
           f"QEMU pid {rep.get('pid')}, core B's instance {rep.get('nf_id')}",
           str(moved) + mgr_b.tail())
    traffic.ping_both(chk, core_b, moved, c, d, "moved")
    console = os.path.join(mgr_b.state_dir, f"{VM}.console")
    with open(console, errors="replace") as f:
        text = f.read()
    chk.ok(f"re-attached as instance {rep.get('nf_id')} of role {traffic.ROLE}" in text,
           "move: the guest's NF says it re-attached to core B's instance", text[-400:])
    chk.ok("re-attach: reloaded" in text, "move: netlib ran l3fwd's reload hook after the "
           "re-attach (its routes' port MACs are core B's)", text[-400:])
    after = nf_counters(mgr_b)
    chk.ok(after.get("rx", 0) > before.get("rx", 0) > 0,
           f"move: the NF's counters went on (rx {before.get('rx')} at A -> "
           f"{after.get('rx')} at B)", str(after))
    left = mgr_a.vm(VM)
    chk.ok(left.get("state") == "stopped", f"move: manager A shows {VM} stopped", str(left))
    chk.ok(migtest.pid_gone(vm["pid"], 10), f"move: the QEMU at A (pid {vm['pid']}) is gone")
    migtest.check_pool_whole(chk, core_a, vm["nf_id"], "move: core A")
    return moved
