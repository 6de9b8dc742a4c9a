#!/usr/bin/env python3
"""scale_vm: a scaling policy whose instances are VMs of the vms list, cold-booted by the manager (method "vm").

The core sends everything from port 0 to role 1; the manager has two VMs,
s1 and s2 (role 1, autostart = false, restart = "on-failure", netvm-bridge
in the guest: port 0 out of port 1), and a policy for role 1 with method
"vm", vms = [s1, s2], min 1, max 2. Every frame carries (flow, sequence
number); flows are 5 packets long.

  config    method "vm" with a VM that starts by itself, or max above the
            number of its VMs: refused with file, line and key
  min       s1 is booted: scale list shows it running as the VM's instance
            (vm list agrees), s2 stays stopped; a second netvm-manager on the
            same configuration refuses to start and leaves the state
            directory (s1's lease) as it was
  out       s1's QEMU slowed (stopped 150 ms of every 200) under ~1500
            packets/s: the policy boots s2, 1 -> 2 instances
  away      traffic through, s2's QEMU killed (SIGKILL): the VM's restart
            policy boots it again; meanwhile the policy keeps s2 as an
            instance without an NF, left out of the mean load (running 1)
            and of drains (no scale-in, no scale-out, s2 never drained nor
            stopped by the policy, no second boot of s1), then takes its new
            instance id
  in        no traffic: s2 (the newest) is drained and its VM stopped, back
            to one instance (s1)
  loss      every packet sent came out of port 1, none reordered in its flow

Prints the scale-out decision to live time (a cold boot); nothing is
asserted on times. Needs root, hugepages and the guest image (skipped, 77,
without it).
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
import scale_idle  # noqa: E402

import mgrtest  # noqa: E402  (tests/manager, on opslib's path)

CONFIG = scale_idle.CONFIG
BRIDGE = scale_idle.BRIDGE
BOOT = 240  # seconds: a cold boot under TCG on a loaded 2-CPU machine (about 5-20 s)


def vm_entry(name, kernel, initrd, autostart=False):
    return (f'  {{ name = "{name}"; role = 1; vcpus = 1; memory = 256;\n'
            f'    kernel = "{kernel}"; initrd = "{initrd}"; nf = "{BRIDGE}";\n'
            f'    restart = "on-failure"; autostart = {"true" if autostart else "false"}; }}')


def policy(max_=2, names=("s1", "s2")):
    # in_hold_ms long: the load is low as soon as s1 runs at full speed again,
    # and s2 must still be an instance when it is killed (case_away)
    vms = ", ".join(f'"{n}"' for n in names)
    return (f'scale = ( {{ role = 1; method = "vm"; vms = [ {vms} ];\n'
            f'  min = 1; max = {max_}; out_above = 8; in_below = 1; out_hold_ms = 600;\n'
            f'  in_hold_ms = 30000; cooldown_ms = 500; drain_ms = 15000; }} );\n')


def refused(env, chk, kernel, initrd):
    """Bad method "vm" policies: netvm-manager --check names line and key."""
    cases = [
        ("a VM of the policy starts by itself",
         [vm_entry("s1", kernel, initrd, autostart=True)], policy(1, ["s1"]),
         r"scale\[0\]\.vms: .*s1.*autostart = false: the policy starts it"),
        ("max above the number of its VMs", [vm_entry("s1", kernel, initrd)],
         policy(2, ["s1"]), r"scale\[0\]: max 2 but only 1 VMs in 'vms'"),
        ("a command with method vm", [vm_entry("s1", kernel, initrd)],
         policy(1, ["s1"]).replace('method = "vm";', 'method = "vm"; command = "x";'),
         r"scale\[0\]: method \"vm\" needs 'vms'"),
    ]
    for what, vms, pol, pattern in cases:
        path = env.path("bad.conf")
        with open(path, "w") as f:
            f.write("vms = (\n" + ",\n".join(vms) + "\n);\n" + pol)
        res = subprocess.run([env.binary("manager/netvm-manager"), "-c", path, "--check"],
                             capture_output=True, text=True, timeout=30)
        msg = res.stderr.strip()
        chk.ok(res.returncode == 1 and re.search(pattern, msg) is not None and
               re.match(rf"netvm-manager: {re.escape(path)}:\d+: ", msg) is not None,
               f"config refused: {what}", f"status {res.returncode}: {msg}")


def unit(p, name):
    return next((u for u in p.get("instances", []) if u["name"] == name), {})


def case_away(chk, mgr, rig):
    """s2's QEMU killed: the VM restarts by its own policy, the scaling policy
    waits for it. The policy seen last."""
    ok, st = rig.through(90)
    chk.ok(ok, "every frame is through before s2 is killed",
           f"port0_rx {st.get('port0_rx')} of {rig.inj.sent}")
    p0 = opslib.pol(mgr)
    vm = mgr.vm("s2")
    old_nf, starts = vm.get("nf_id"), vm.get("starts", 0)
    s1_starts = mgr.vm("s1").get("starts")
    os.kill(vm["pid"], signal.SIGKILL)
    # The policy reads its VMs' states once per manager tick (200 ms), so it may
    # lag the VM list by a tick: a sample is judged only once s2 has been seen
    # away for a second, and when the VM list says away both before and after
    # the policy was read.
    seen_away, bad, running_away, new_nf, judged = None, [], set(), None, 0
    deadline = time.monotonic() + BOOT
    p = p0
    while time.monotonic() < deadline:
        before = mgr.vm("s2")
        p, v2 = opslib.pol(mgr), mgr.vm("s2")
        u2 = unit(p, "s2")
        now = time.monotonic()
        if v2.get("state") != "running":
            seen_away = seen_away or now
            if before.get("state") != "running" and now - seen_away > 1.0:
                judged += 1
                running_away.add(p.get("running"))
                if u2.get("state") != "running" or u2.get("nf_id") is not None:
                    bad.append(f"s2 {u2.get('state')} nf {u2.get('nf_id')}")
        elif seen_away and v2.get("starts", 0) > starts:
            new_nf = v2.get("nf_id")
            break
        if p.get("scale_ins") != p0.get("scale_ins") or \
                p.get("scale_outs") != p0.get("scale_outs"):
            if v2.get("state") != "running":
                bad.append(f"a decision while s2 was away: {p.get('decisions')}")
        time.sleep(0.2)
    vm = mgr.vm("s2")
    chk.ok(seen_away and vm.get("state") == "running" and vm.get("starts", 0) > starts,
           "s2 restarted by its VM's restart policy", str(vm))
    chk.ok(judged > 0 and not bad, "while s2 was away the policy kept it as an instance "
           "without an NF, and took no decision", f"{judged} samples judged: {bad[:5]}")
    chk.eq(sorted(running_away), [1], "while s2 was away only s1 counted (running 1)")
    chk.eq(mgr.vm("s1").get("starts"), s1_starts, "s1 was not started again")
    # the policy takes the new instance id: scale list shows it, or the
    # scale-in that may follow at once drains it by that id
    ok, p = opslib.wait_pol(mgr, lambda p: new_nf is not None and (
        unit(p, "s2").get("nf_id") == new_nf or
        any(f"draining s2 (nf {new_nf})" in d for d in p.get("decisions", []))), 30)
    chk.ok(ok, f"the restarted VM's instance (nf {new_nf}; nf {old_nf} before the kill) is "
           "the policy's", str(p))
    return p


def main():
    env, chk, kernel, initrd = opslib.vm_test("scale_vm", 590, __doc__)
    chk.section("config")
    refused(env, chk, kernel, initrd)

    chk.section("min: s1 booted")
    rig = opslib.Rig(env, chk, "sv", CONFIG)
    mgr = mgrtest.Manager(env, rig.core, [vm_entry("s1", kernel, initrd),
                                          vm_entry("s2", kernel, initrd)],
                          manager_extra="restart_backoff_ms = 1000;")
    with open(mgr.conf, "a") as f:
        f.write(policy())
    err = mgr.start_ready()
    if not chk.ok(err is None, "netvm-manager starts", err or ""):
        env.done(chk)
    ok, p = opslib.wait_pol(mgr, lambda p: p["running"] == 1, BOOT)
    if not chk.ok(ok, "min: one instance runs", str(p) + mgr.tail()):
        env.done(chk)
    s1, vms = unit(p, "s1"), mgr.vms()
    chk.ok(s1.get("state") == "running" and s1.get("method") == "vm" and
           s1.get("nf_id") is not None and s1.get("nf_id") == vms["s1"].get("nf_id"),
           "s1 is the instance: scale list and vm list agree", f"{s1} {vms['s1']}")
    chk.eq(vms["s2"].get("state"), "stopped", "s2 is not started (autostart = false)")
    opslib.second_refused(env, chk, mgr)
    chk.eq(mgr.vm("s1").get("pid"), vms["s1"].get("pid"), "s1 runs on in the same QEMU")

    chk.section("out: s1 slowed under load, the policy boots s2")
    slow = scale_idle.Throttle(vms["s1"]["pid"])
    t_out = time.monotonic()
    p = opslib.flows(rig, mgr, lambda p: p["running"] == 2, BOOT)
    out_s = time.monotonic() - t_out
    slow.stop()
    t_end = time.monotonic() + 2.0
    p = opslib.flows(rig, mgr, lambda p: time.monotonic() > t_end, 10)
    vms = mgr.vms()
    chk.ok(p.get("running") == 2 and p.get("scale_outs", 0) >= 1,
           "a scale-out decision: 2 instances run", str(p))
    s2 = unit(p, "s2")
    chk.ok(vms["s2"].get("state") == "running" and s2.get("nf_id") is not None and
           s2.get("nf_id") == vms["s2"].get("nf_id"),
           "the second instance is VM s2 (scale list and vm list agree)", f"{s2} {vms['s2']}")
    print(f"scale_vm: 1 -> 2 after {out_s:.1f} s of load (a cold boot); decisions: "
          f"{p.get('decisions')}", flush=True)

    chk.section("away: s2's QEMU killed, the VM restarts, the policy waits for it")
    case_away(chk, mgr, rig)

    chk.section("in: no traffic, s2 drained and stopped")
    ok, p = opslib.wait_pol(mgr, lambda p: p["running"] == 1 and len(opslib.alive(p)) == 1,
                            120)
    chk.ok(ok, "back to min: one instance", str(p))
    ins = [d for d in p.get("decisions", []) if d.startswith("scale in")]
    chk.ok(len(ins) >= 1 and any("draining s2" in d for d in ins), "a scale-in decision "
           "drains s2 (the newest)", str(p.get("decisions")))
    chk.ok(any(d.startswith("s2 drained") for d in p.get("decisions", [])),
           "s2 was drained before it stopped", str(p.get("decisions")))
    ok, vm = mgr.wait_vm("s2", lambda v: v["state"] == "stopped", 30)
    chk.ok(ok, "VM s2 is stopped", str(vm))
    chk.eq(mgr.vm("s1").get("state"), "running", "s1 runs on")
    st = rig.core.stats()
    chk.eq(st.get("drop_nf_ring_full", 0) + st.get("drop_no_instance", 0), 0,
           "no drop for a full ring or a missing instance")

    chk.section("loss: every packet through, in order")
    opslib.check_loss(chk, rig)

    opslib.finish(env, chk, rig, mgr, "stops its VMs", timeout=30.0)


if __name__ == "__main__":
    main()
