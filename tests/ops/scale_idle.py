#!/usr/bin/env python3
"""scale_idle: a scaling policy whose instances are NFs provisioned into idle VMs (method "idle").

The core sends everything from port 0 to role 1; the manager keeps two idle
VMs and a policy for role 1 with method "idle": netvm-bridge (port 0 out of
port 1) in a guest, min 1, max 2. Every frame carries (flow, sequence
number); flows are 5 packets long.

  min       one instance is provisioned into an idle VM: scale list shows it
            running with its VM, idle list shows that VM busy with the same
            instance id
  out       the first instance's VM slowed (its QEMU stopped 150 ms of every 200:
            its rx ring fills while it is stopped) under ~600-1500 packets/s:
            the policy starts a second instance in the other idle VM, 1 -> 2;
            the VM runs at full speed again and traffic goes on for 2 s
  in        traffic stops: the newest instance drains (no new flows, its flows
            idle out) and is stopped through the idle stop path: its VM is
            retired (a fresh VM takes its slot), back to 1 instance
  loss      every packet sent came out of port 1, none reordered in its flow,
            no drop for a full ring or a missing instance
  config    method "idle" without an idle group is refused with file, line, key

Prints the scale-out decision to live time, and the longest netvmctl answer
while instances were provisioned and stopped (how long the manager's loop
was busy); nothing is asserted on times.

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

CONFIG = """core = { buffer_size = 4096; ring_size = 4096; flow_idle_ms = 800; };
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
BRIDGE = "/bin/netvm-bridge --transport uio -r 1"
IN_HOLD = 2500
POLICY = f"""scale = ( {{ role = 1; method = "idle"; command = "{BRIDGE}";
  min = 1; max = 2; out_above = 8; in_below = 1;
  out_hold_ms = 600; in_hold_ms = {IN_HOLD}; cooldown_ms = 500; drain_ms = 15000; }} );
"""


def refused(env, chk):
    """method "idle" without idle VMs: netvm-manager --check names line and key."""
    path = env.path("bad.conf")
    with open(path, "w") as f:
        f.write('scale = ( { role = 1; command = "x"; max = 2;\n  method = "idle"; } );\n')
    res = subprocess.run([env.binary("manager/netvm-manager"), "-c", path, "--check"],
                         capture_output=True, text=True, timeout=30)
    msg = res.stderr.strip()
    chk.ok(res.returncode == 1 and f"{path}:2: scale[0].method:" in msg and "idle VMs" in msg,
           "config: method idle without an idle group refused", msg)


def units(p):
    """{name: instance} of policy @p that run."""
    return {u["name"]: u for u in p.get("instances", []) if u["state"] == "running"}


class Throttle(opslib.Flood):
    """QEMU @pid stopped @off s of every @off + @on s until stop() (resumed then)."""

    def __init__(self, pid, off=0.15, on=0.05):
        self.pid, self.off = pid, off
        super().__init__(self.slice, period=on)

    def slice(self, _):
        os.kill(self.pid, signal.SIGSTOP)
        time.sleep(self.off)
        os.kill(self.pid, signal.SIGCONT)

    def stop(self):
        super().stop()
        os.kill(self.pid, signal.SIGCONT)


def main():
    env, chk, kernel, initrd = opslib.vm_test("scale_idle", 290, __doc__)
    chk.section("config")
    refused(env, chk)

    chk.section("min: one instance in an idle VM")
    rig = opslib.Rig(env, chk, "si", CONFIG)
    mgr = mgrtest.Manager(env, rig.core, [])
    with open(mgr.conf, "a") as f:
        f.write(idle_vm.idle_config(kernel, initrd, count=2) + POLICY)
    err = mgr.start_ready()
    if not chk.ok(err is None, "netvm-manager starts", err or ""):
        env.done(chk)
    ok, p = opslib.wait_pol(mgr, lambda p: p["running"] == 1, idle_vm.BOOT_TIMEOUT)
    if not chk.ok(ok, "min: one instance runs", str(p) + mgr.tail()):
        env.done(chk)
    first = list(units(p).values())[0]
    vms = idle_vm.idle_list(mgr)[0]
    chk.ok(first.get("method") == "idle" and first.get("vm") in vms and
           vms[first["vm"]].get("state") == "busy" and
           vms[first["vm"]].get("nf_id") == first.get("nf_id"),
           "scale list names its idle VM; idle list shows that VM busy with the instance",
           f"{first} {vms}")
    ok, vms = idle_vm.wait_idle(mgr, idle_vm.BOOT_TIMEOUT) if first["vm"] != "idle0" else \
        (True, vms)
    other = "idle1" if first["vm"] == "idle0" else "idle0"
    deadline = time.monotonic() + idle_vm.BOOT_TIMEOUT
    while time.monotonic() < deadline and vms.get(other, {}).get("state") != "idle":
        time.sleep(0.3)
        vms = idle_vm.idle_list(mgr)[0]
    if not chk.ok(vms.get(other, {}).get("state") == "idle", f"{other} is booted and idle",
                  str(vms)):
        env.done(chk)

    chk.section("out: under load a second instance in the other idle VM")
    stall = opslib.Stall(mgr)
    slow = Throttle(vms[first["vm"]]["pid"])
    t_out = time.monotonic()
    p = opslib.flows(rig, mgr, lambda p: p["running"] == 2, 60)
    out_s = time.monotonic() - t_out
    slow.stop()
    t_end = time.monotonic() + 2.0
    p = opslib.flows(rig, mgr, lambda p: time.monotonic() > t_end, 10)
    chk.ok(p.get("running") == 2 and p.get("scale_outs", 0) >= 1,
           "a scale-out decision: 2 instances run", str(p))
    second = [u for n, u in units(p).items() if n != first["name"]]
    vms = idle_vm.idle_list(mgr)[0]
    chk.ok(len(second) == 1 and second[0].get("vm") == other and
           vms.get(other, {}).get("nf_id") == second[0].get("nf_id"),
           f"the second instance runs in {other} (scale list and idle list agree)",
           f"{second} {vms}")
    live = [d for d in p.get("decisions", []) if re.search(r"runs as nf \d+", d)]
    print(f"scale_idle: 1 -> 2 after {out_s:.2f} s of load; decisions: "
          f"{p.get('decisions')}", flush=True)

    chk.section("in: traffic stops, back to one instance, the VM retired")
    ok, st = rig.through(90)
    chk.ok(ok, "every frame is through", f"port0_rx {st.get('port0_rx')} of {rig.inj.sent}")
    qemu = vms.get(other, {}).get("pid")
    ok, p = opslib.wait_pol(mgr, lambda p: p["running"] == 1 and len(opslib.alive(p)) == 1, 90)
    worst = stall.stop()
    chk.ok(ok, "back to min: one instance", str(p))
    ins = [d for d in p.get("decisions", []) if d.startswith("scale in")]
    chk.ok(len(ins) >= 1, "a scale-in decision", str(p.get("decisions")))
    chk.ok(any("drained" in d for d in p.get("decisions", [])), "the instance was drained "
           "before it stopped", str(p.get("decisions")))
    vms, lst = idle_vm.idle_list(mgr)
    chk.ok(vms.get(other, {}).get("state") != "busy" and vms.get(other, {}).get("pid") != qemu
           and lst.get("retired", 0) >= 1,
           f"{other}'s VM is retired (its QEMU gone, the slot refills)", str(lst))
    chk.eq(list(units(p)), [first["name"]], "the first instance runs on")
    st = rig.core.stats()
    chk.eq(st.get("drop_nf_ring_full", 0) + st.get("drop_no_instance", 0), 0,
           "no drop for a full ring or a missing instance")

    chk.section("loss: every packet through, in order")
    opslib.check_loss(chk, rig)
    print(f"scale_idle: {sum(rig.sent.values())} packets; instance went live: {live}; the "
          f"longest netvmctl answer during scale-out and scale-in ({stall.asked} asked, "
          f"{stall.failed} failed): {worst * 1000:.0f} ms", flush=True)

    opslib.finish(env, chk, rig, mgr, "stops its instances and idle VMs", timeout=30.0)


if __name__ == "__main__":
    main()
