#!/usr/bin/env python3
"""dos_idle: the DoS response with its filter provisioned into an idle VM (dos.method "idle").

As tests/ops/dos.py's one-source case (chain "web" = [1], nf_slow the victim
as a host process, 16 legitimate sources at about 12 packets/s, one source
at about 2000 packets/s, then 1500 while the test looks), but src_pps is 250
(a guest under TCG takes a CPU: the test's sender may slow down, and an
attack under the limit for hold_ms ends the mitigation early), the manager
keeps one idle VM
and dos.method = "idle": on the attack it starts netvm-firewall in that VM
(a fresh attach, its pool and doorbell hot-plugged, the agent runs it), sends
it the generated rules through its control channel (rules load, the core's
command socket), then puts role 9 in front of the chain.

Checks: the chain becomes 9,1 and netvmctl dos names the VM; the attacker's
packets sent after that are dropped, every legitimate one passes, in order;
after hold_ms quiet the chain is 1 again, the filter stopped, the VM idle
retired (a fresh VM takes its slot) and nothing else attached. Prints the time from attack
start to mitigation, the manager's provisioning and decision-to-chain times,
the legitimate packets lost meanwhile, and the longest answer of netvmctl
while the filter was provisioned (how long the manager's loop was busy);
nothing is asserted on times.

Needs root, hugepages and the guest image (skipped, 77, without it).
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import dos  # noqa: E402
import opslib  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

import idle_vm  # noqa: E402  (tests/manager, on opslib's path)
import mgrtest  # noqa: E402

FILTER = "/bin/netvm-firewall --transport uio -r 9"
PROVISION_RE = re.compile(r"dos-filter runs as nf \d+ in idle vm (\S+), (\d+) ms after the "
                          r"decision")


def main():
    env = nvenv.setup("dos_idle", timeout=280, description=__doc__)
    chk = check.Checker("dos_idle")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, dos.SLOW_BIN, "manager/netvm-manager",
                                      "manager/netvmctl"])
    kernel, initrd = mgrtest.guest_image(env)
    rig = opslib.Rig(env, chk, "di", dos.CONFIG)
    nf = dos.victim(env, chk, rig)
    mgr = mgrtest.Manager(env, rig.core, [])
    with open(mgr.conf, "a") as f:
        f.write(idle_vm.idle_config(kernel, initrd, count=1))
        f.write(f'dos = {{ src_pps = 250; hold_ms = 3000; chain = "web"; filter_role = 9;\n'
                f'  method = "idle"; filter = "{FILTER}"; }};\n')
    err = mgr.start_ready()
    if not chk.ok(err is None, "netvm-manager starts", err or ""):
        env.done(chk)
    ok, vm = idle_vm.wait_idle(mgr, idle_vm.BOOT_TIMEOUT)
    if not chk.ok(ok, "idle0 is booted and idle", f"{vm}" + mgr.tail()):
        env.done(chk)
    qemu = vm.get("pid")
    ok, st = rig.core.tel.wait_for(lambda s: s.get("dos_src_pps") == 250, 20)
    chk.ok(ok, "the manager set the core's detector (dos_src_pps 250)", str(st.get("dos_src_pps")))
    dos.quiet_start(chk, rig)

    stall = opslib.Stall(mgr)
    figures = dos.case_source(env, chk, rig, mgr)
    worst = stall.stop()
    rc, out = mgr.netvmctl("dos")
    d = out.get("dos", {}) if isinstance(out, dict) else {}
    chk.eq(d.get("method"), "idle", "netvmctl dos: the filter's method is idle")
    m = PROVISION_RE.search(mgr.stdout())
    chk.ok(m is not None and m.group(1) == "idle0",
           "the manager logs the filter provisioned into idle0", mgr.tail(8))
    vm = idle_vm.idle_list(mgr)[0].get("idle0", {})
    chk.ok(vm.get("state") == "busy" and vm.get("role") == 9 and
           vm.get("nf_id") == d.get("filter_nf_id"),
           "idle list: idle0 runs the filter (role 9, its instance id)", str(vm))

    dos.case_end(env, chk, rig, mgr)
    vm = idle_vm.idle_list(mgr)[0].get("idle0", {})
    chk.ok(vm.get("state") != "busy" and vm.get("pid") != qemu,
           "idle0's VM is retired after the mitigation (its QEMU gone, the slot refills)",
           str(vm))
    ok, st = rig.core.tel.wait_for(lambda s: idle_vm.pool_whole(s, d.get("filter_nf_id")), 10)
    chk.ok(ok, "the filter's instance gone from the core, every buffer back or the victim's",
           f"pool0_free={st.get('pool0_free')}")

    figures = {"idle_" + k[len("src_"):]: v for k, v in figures.items()}
    figures.update(idle_provision_ms=int(m.group(2)) if m else None,
                   idle_loop_busy_ms=round(worst * 1000), idle_ctl_asked=stall.asked)
    print(f"dos_idle: filter provisioned in {figures['idle_provision_ms']} ms; the longest "
          f"netvmctl answer while it was ({stall.asked} asked, {stall.failed} failed): "
          f"{worst * 1000:.0f} ms", flush=True)
    print("dos-figures: " + json.dumps(figures), flush=True)

    opslib.finish(env, chk, rig, mgr, "stops its idle VM", victim=nf, timeout=30.0)


if __name__ == "__main__":
    main()
