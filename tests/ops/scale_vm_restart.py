#!/usr/bin/env python3
"""scale_vm_restart: a "vm" scaling policy's instance survives a manager restart and stays the policy's.

The core sends everything from port 0 to role 1; the manager has two VMs,
s1 and s2 (role 1, autostart = false, netvm-bridge in the guest: port 0 out
of port 1), a policy for role 1 with method "vm", vms = [s1, s2], min 1,
max 2, and manager.keep_vms_on_exit = true.

  min       s1 is booted as the policy's instance; frames go through it
  sigterm   the manager stopped (SIGTERM): s1's QEMU runs on (keep_vms_on_exit
            covers the policy's VMs too), and frames still go through it
  adopt     a new manager on the same configuration adopts s1 (vm list: the
            same pid and instance id, adopted) and its policy takes it as its
            instance (scale list: s1 running with that instance id, running
            1, a decision that says so): s2 is not booted, no start of s1 is
            tried (none refused), and frames go through s1
  crash     the manager killed (SIGKILL) and started again with
            keep_vms_on_exit = false: the same adoption, again; then a SIGINT
            stops s1 with the manager, and the core has every buffer back

Needs root, hugepages and the guest image (skipped, 77, without it).
"""

import itertools
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import opslib  # noqa: E402
import scale_vm  # noqa: E402

import mgrtest  # noqa: E402  (tests/manager, on opslib's path)

BOOT = scale_vm.BOOT
QUIET_S = 4.0  # seconds the adopted policy is watched for a start it should not make
FLOW_IDS = itertools.count(1)


def send_through(chk, rig, tag, what):
    """8 flows of 3 packets through the core; whether each left by port 1."""
    flows = [next(FLOW_IDS) for _ in range(8)]
    for _ in range(3):
        rig.send(flows)
    ok, st = rig.through(60)
    lost = rig.lost(flows)
    return chk.ok(ok and not lost, f"{tag}: frames go through {what}",
                  f"lost {lost}; {rig.missed(st)}")


def check_adopted(chk, mgr, tag, s1_before):
    """The restarted manager adopted s1 and its policy took it as its instance."""
    ok, p = opslib.wait_pol(mgr, lambda p: p.get("running") == 1, 30)
    vm = mgr.vm("s1")
    chk.ok(vm.get("adopted") is True and vm.get("pid") == s1_before["pid"] and
           vm.get("nf_id") == s1_before["nf_id"],
           f"{tag}: the new manager adopted s1 (the same QEMU and instance id)", str(vm))
    u1 = scale_vm.unit(p, "s1")
    chk.ok(ok and u1.get("state") == "running" and u1.get("nf_id") == s1_before["nf_id"],
           f"{tag}: the policy takes s1 as its running instance (nf {s1_before['nf_id']})",
           str(p))
    chk.ok(any("s1: its VM is running (adopted from the previous manager): taken as an "
               "instance" in d for d in p.get("decisions", [])),
           f"{tag}: a decision says s1 was taken as an instance", str(p.get("decisions")))
    time.sleep(QUIET_S)
    p, vms = opslib.pol(mgr), mgr.vms() or {}
    chk.eq(vms.get("s2", {}).get("state"), "stopped",
           f"{tag}: s2 is not booted (one instance is the policy's min)")
    chk.eq(p.get("running"), 1, f"{tag}: still one running instance {QUIET_S:.0f} s later")
    # a new manager's policy has a log of its own: any start in it is one too many
    bad = [d for d in p.get("decisions", []) if "starting" in d]
    chk.eq(bad, [], f"{tag}: the policy tried no start (s1 runs, s2 is not needed)")
    chk.eq(vms.get("s1", {}).get("pid"), s1_before["pid"], f"{tag}: s1 runs on in the same QEMU")
    return p


def main():
    env, chk, kernel, initrd = opslib.vm_test("scale_vm_restart", 590, __doc__)

    chk.section("min: s1 booted as the policy's instance")
    rig = opslib.Rig(env, chk, "svr", scale_vm.CONFIG)
    mgr = mgrtest.Manager(env, rig.core, [scale_vm.vm_entry("s1", kernel, initrd),
                                          scale_vm.vm_entry("s2", kernel, initrd)],
                          manager_extra="restart_backoff_ms = 1000; keep_vms_on_exit = true;")
    with open(mgr.conf, "a") as f:
        f.write(scale_vm.policy())
    err = mgr.start_ready()
    if not chk.ok(err is None, "netvm-manager starts", err or ""):
        env.done(chk)
    ok, p = opslib.wait_pol(mgr, lambda p: p.get("running") == 1, BOOT)
    if not chk.ok(ok, "min: one instance runs", str(p) + mgr.tail()):
        env.done(chk)
    s1 = mgr.vm("s1")
    chk.ok(scale_vm.unit(p, "s1").get("nf_id") == s1.get("nf_id") and s1.get("pid"),
           "min: s1 is the instance", f"{p} {s1}")
    chk.ok(sum("starting" in d for d in p.get("decisions", [])) == 1,
           "min: the policy started one VM", str(p.get("decisions")))
    send_through(chk, rig, "min", "s1")

    chk.section("sigterm: the manager stopped with keep_vms_on_exit = true")
    rc = mgr.stop(signal.SIGTERM, timeout=30)
    chk.eq(rc, 0, "sigterm: netvm-manager exits 0")
    chk.ok(mgrtest.pid_alive(s1["pid"]), "sigterm: s1's QEMU runs on "
           "(keep_vms_on_exit covers a scaling policy's VM)", f"pid {s1['pid']}" + mgr.tail())
    send_through(chk, rig, "sigterm", "s1 with no manager")

    chk.section("adopt: a new manager, the policy takes s1 back")
    err = mgr.start_ready()
    if not chk.ok(err is None, "adopt: netvm-manager starts again", err or ""):
        env.done(chk)
    check_adopted(chk, mgr, "adopt", s1)
    send_through(chk, rig, "adopt", "the adopted s1")

    chk.section("crash: the manager killed, started again without keep_vms_on_exit")
    mgr.kill()
    with open(mgr.conf) as f:
        text = f.read()
    with open(mgr.conf, "w") as f:
        f.write(text.replace("keep_vms_on_exit = true;", "keep_vms_on_exit = false;"))
    err = mgr.start_ready()
    if not chk.ok(err is None, "crash: netvm-manager starts again", err or ""):
        env.done(chk)
    check_adopted(chk, mgr, "crash", s1)
    send_through(chk, rig, "crash", "the adopted s1")
    rc = mgr.stop(timeout=30)
    chk.eq(rc, 0, "crash: netvm-manager exits 0 on SIGINT (keep_vms_on_exit = false)")
    chk.ok(not mgrtest.pid_alive(s1["pid"]), "crash: s1's QEMU stopped with the manager",
           f"pid {s1['pid']}")
    rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
