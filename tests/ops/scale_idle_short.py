#!/usr/bin/env python3
"""scale_idle_short: a method "idle" policy that wants more instances than there are idle VMs.

The core sends everything from port 0 to role 1; the manager keeps one idle
VM (idle.count = 1, restart_backoff_ms = 500) and a policy for role 1 with
method "idle": netvm-bridge in a guest, min 2, max 2 (docs/operations.md
section 7: "With no VM idle (all busy, or still booting) the start fails
and is logged ...; the min rule tries again every
manager.restart_backoff_ms").

  warned    netvm-manager --check accepts the file with a warning that the
            policy's min cannot be met, and the manager logs it at start
  short     one instance runs in idle0; the start of the second fails with
            "no idle VM is ready (0 booting; idle.count = 1)" in the
            manager's log and in scale list's decisions, once: it is tried
            again every back-off (start_failures grows by 3 or more in 4 s,
            netvmctl's text prints it) but the same failure is not logged
            again within a minute; meanwhile the first instance
            runs on: scale list shows 1 running, idle list idle0 busy with
            its instance id, frames sent to port 0 come out of port 1, and
            netvmctl answers every request
  died      idle0's QEMU killed: the instance goes down (logged), the pool
            boots a new VM into idle0, and the policy has one instance running
            in it again (still one: there is one idle VM)

Needs root, hugepages and the guest image (skipped, 77, without it).
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import opslib  # noqa: E402

import idle_vm  # noqa: E402  (tests/manager, on opslib's path)
import mgrtest  # noqa: E402
from scale_idle import BRIDGE, CONFIG  # noqa: E402  (the same core and guest NF)

POLICY = f"""scale = ( {{ role = 1; method = "idle"; command = "{BRIDGE}";
  min = 2; max = 2; out_above = 8; in_below = 1;
  out_hold_ms = 600; in_hold_ms = 2500; cooldown_ms = 500; drain_ms = 5000; }} );
"""
BACKOFF_MS = 500
NOT_READY = "failed: no idle VM is ready (0 booting; idle.count = 1)"
WARNING = ('the scaling policy with method "idle" needs 2 idle VM(s) for its min (scale[0] at '
           'line {line}: min 2) and idle.count = 1: the starts beyond it fail and are retried '
           'every manager.restart_backoff_ms')


def running(p):
    """The instances of policy @p that run."""
    return [u for u in p.get("instances", []) if u["state"] == "running"]


def logged(mgr):
    """Lines of the manager's log that say the second instance's start found no idle
    VM ready."""
    return len(re.findall(r"scale role 1: .*starting r1-2 " + re.escape(NOT_READY),
                          mgr.stdout()))


def failures(p):
    """scale list's decisions of @p that say the second instance found no idle VM ready."""
    return [d for d in p.get("decisions", []) if "starting r1-2 " + NOT_READY in d]


def main():
    env, chk, kernel, initrd = opslib.vm_test("scale_idle_short", 280, __doc__)
    rig = opslib.Rig(env, chk, "ss", CONFIG)
    mgr = mgrtest.Manager(env, rig.core, [],
                          f"restart_backoff_ms = {BACKOFF_MS}; restart_backoff_max_ms = 1000;")
    with open(mgr.conf, "a") as f:
        f.write(idle_vm.idle_config(kernel, initrd, count=1) + POLICY)
    with open(mgr.conf) as f:
        line = [n for n, t in enumerate(f, 1) if t.startswith("scale = ( {")][0]
    warning = WARNING.format(line=line)
    res = subprocess.run([env.binary("manager/netvm-manager"), "-c", mgr.conf, "--check"],
                         capture_output=True, text=True, timeout=30)
    chk.ok(res.returncode == 0 and f"{mgr.conf}: warning: {warning}" in res.stderr,
           "--check: valid, with a warning that min cannot be met", res.stderr + res.stdout)
    err = mgr.start_ready()
    if not chk.ok(err is None, "netvm-manager starts", err or ""):
        env.done(chk)
    chk.ok(f"netvm-manager: warning: {warning}" in mgr.stdout(),
           "the manager logs the same warning at start", mgr.tail())

    chk.section("short: min 2, one idle VM")
    ok, p = opslib.wait_pol(mgr, lambda p: len(running(p)) == 1, idle_vm.BOOT_TIMEOUT)
    if not chk.ok(ok, "one instance runs", str(p) + mgr.tail()):
        env.done(chk)
    first = running(p)[0]
    ok, p = opslib.wait_pol(mgr, lambda p: len(failures(p)) >= 1, 10)
    chk.ok(ok, f"scale list: the second start failed, \"...{NOT_READY}\"",
           str(p.get("decisions")))
    n0, log0 = p.get("start_failures", 0), logged(mgr)
    t0 = time.monotonic()
    asked = answered = 0
    while time.monotonic() - t0 < 4.0:
        rc, _ = mgr.netvmctl("scale", "list")
        asked += 1
        answered += rc == 0
        time.sleep(0.2)
    p = opslib.pol(mgr)
    n, log1 = p.get("start_failures", 0), logged(mgr)
    print(f"scale_idle_short: start_failures {n0} -> {n} in 4 s; lines in the log "
          f"{log0} -> {log1}", flush=True)
    chk.ge(n - n0, 3, "the start is tried again every restart_backoff_ms (start_failures "
           "grows by 3 or more in 4 s)")
    chk.ok(log1 == 1 and len(failures(p)) == 1,
           "the same failure is not logged again within a minute (one line in the log and "
           "in the decisions)", f"log lines {log0} -> {log1}; {p.get('decisions')}")
    rc, text = mgr.netvmctl("scale", "list", json_out=False)
    chk.ok(rc == 0 and re.search(r"failed starts (\d+)", text) is not None and
           int(re.search(r"failed starts (\d+)", text).group(1)) >= n,
           "netvmctl scale list prints the failed starts", text[:300])
    chk.eq(asked, answered, f"netvmctl answered all {asked} requests meanwhile")
    chk.ok(len(running(p)) == 1 and running(p)[0]["name"] == first["name"] and
           len(opslib.alive(p)) == 1, "the first instance runs on, alone", str(p))
    vms = idle_vm.idle_list(mgr)[0]
    chk.ok(vms.get("idle0", {}).get("state") == "busy" and
           vms["idle0"].get("nf_id") == first.get("nf_id"),
           "idle list: idle0 busy with the instance", str(vms))
    for _ in range(3):
        rig.send(list(range(20)))
    ok, st = rig.through(30)
    chk.ok(ok, "frames sent to port 0 come out of port 1",
           f"port0_rx {st.get('port0_rx')} of {rig.inj.sent}")
    opslib.check_loss(chk, rig)

    chk.section("died: idle0's QEMU killed")
    pid = vms.get("idle0", {}).get("pid")
    if chk.ok(isinstance(pid, int), "idle0 has a QEMU pid", str(vms)):
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + idle_vm.BOOT_TIMEOUT
        vms, p = {}, {}
        while time.monotonic() < deadline:
            vms, p = idle_vm.idle_list(mgr)[0], opslib.pol(mgr)
            if vms.get("idle0", {}).get("pid") not in (None, pid) and \
               vms["idle0"].get("state") == "busy" and len(running(p)) == 1:
                break
            time.sleep(0.3)
        chk.ok(vms.get("idle0", {}).get("pid") not in (None, pid) and
               vms["idle0"].get("state") == "busy" and len(running(p)) == 1 and
               running(p)[0].get("nf_id") == vms["idle0"].get("nf_id"),
               "one instance runs again, in idle0's new QEMU (scale list and idle list "
               "agree)", f"{vms} {p}" + mgr.tail())
        chk.ok("went down: its NF in idle vm idle0 ended: QEMU exited (signal 9)" in
               mgr.stdout(), "the manager's log says the instance went down with its VM",
               mgr.tail(5))
        chk.eq(len(opslib.alive(p)), 1, "still one instance (one idle VM)")

    opslib.finish(env, chk, rig, mgr, "stops its instance and idle VM", timeout=30.0)


if __name__ == "__main__":
    main()
