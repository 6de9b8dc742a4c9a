#!/usr/bin/env python3
"""idle_reuse: one idle VM serves NF after NF in the same QEMU (idle.reuse = true).

  nvA-<pid> 10.0.1.2/24 ── port 0 ─┐                ┌─ port 1 ── nvB-<pid> 10.0.2.2/24
                                   └── core engine ─┘   (each namespace's gateway MAC is
                                        │ role 1         the other's: a bridge carries it)
         idle VM idle0 (idle.count = 1, idle.reuse = true), manager.qemu = the QEMU of
         scripts/build-qemu.sh (qemu-patches/, 0003: ivshmem hot-unplug)

  boot       idle list shows idle0 idle; its QEMU pid P
  rounds     ROUNDS times: nf start --role 1 -- netvm-bridge hot-plugs both ivshmem
             devices into QEMU P again (the devices of the previous round were
             device_del'ed): ping passes both ways through the new instance;
             nf stop unplugs them: "idle vm idle0 is idle again", the core has every
             buffer back, idle0 is idle in the same QEMU P, which holds as many file
             descriptors as after the first round (nothing of a device stays open)
             but those the test added (below), waited for: QEMU closes the shared
             memory's descriptor after an RCU grace period
  shift      before each round after the first, QEMU P gets one more open
             descriptor (gdb attaches and calls dup(0)), so the round's devices get
             other descriptor numbers than the round before
  end        idle list: ROUNDS NFs provisioned, none replaced, none retired; QEMU P
             is alive and the manager never saw it exit

Stock QEMU 7.2 (and the series without 0003) leaves the doorbell's vector
eventfd watched by the main loop after device_del, its handler's data in the
freed device: once the number is reused by a descriptor that polls readable
(the next round's shared memory or socket), QEMU crashes (a general
protection fault, SIGSEGV); the shift makes that happen in round 2 every time
instead of when a loaded machine delays QEMU's deferred closes
(docs/qemu-patches.md section 2, 0003).

Needs root, hugepages, iproute2, ping, gdb, the guest image (scripts/build-guest.sh)
and the patched QEMU (scripts/build-qemu.sh); skipped (77) without the last two.
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "migrate"))

import opslib  # noqa: E402,F401  (puts tests/manager on the path)
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

import idle_vm  # noqa: E402
import mgrtest  # noqa: E402
import migtest  # noqa: E402

ROUNDS = 4
FD_SETTLE_S = 2.0   # for QEMU's late closes after an unplug


def qemu_fds(pid):
    """The number of file descriptors QEMU @pid holds, or -1 when it is gone."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def wait_fds(pid, want, timeout):
    """Wait until QEMU @pid holds @want descriptors; the number it holds then."""
    deadline = time.monotonic() + timeout
    n = qemu_fds(pid)
    while n != want and time.monotonic() < deadline:
        time.sleep(0.2)
        n = qemu_fds(pid)
    return n


def shift_fds(chk, pid, tag):
    """Make QEMU @pid open one more descriptor (gdb calls dup(0) in it); whether it did."""
    try:
        res = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex", "call (int)dup(0)"],
                             capture_output=True, text=True, timeout=60)
        out = res.stdout + res.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        out = str(e)
    got = re.search(r"^\$1 = (\d+)$", out, re.M)
    return chk.ok(got is not None and os.path.exists(f"/proc/{pid}/fd/{got.group(1)}"),
                  f"{tag}: QEMU {pid} has one more open descriptor ({got and got.group(1)}): "
                  "the round's devices get other numbers", out[-600:])


def stop_reused(chk, core, mgr, nf, pid, tag):
    """nf stop @nf with idle.reuse: the devices unplugged, idle0 idle again in QEMU @pid."""
    rc, out = mgr.netvmctl("nf", "stop", str(nf))
    msg = str(out.get("message") if isinstance(out, dict) else out)
    chk.ok(rc == 0 and "is idle again" in msg,
           f"{tag}: nf stop {nf}: idle vm idle0 is idle again (devices unplugged)",
           f"rc {rc}: {out}" + mgr.tail())
    ok, st = core.tel.wait_for(lambda s: idle_vm.pool_whole(s, nf), 5)
    chk.ok(ok, f"{tag}: the core has no instance {nf} and every buffer back",
           f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')} "
           f"role={st.get(f'nf{nf}_role')}")
    ok, vm = idle_vm.wait_idle(mgr, 10)
    return chk.ok(ok and vm.get("pid") == pid and idle_vm._alive(pid),
                  f"{tag}: idle0 is idle in the same QEMU (pid {pid}), alive", f"{vm}")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("idle_reuse", 280, __doc__)
    chk = check.Checker("idle_reuse")
    qemu = migtest.patched_qemu(env)

    chk.section("namespaces, core, manager with one reused idle VM and the patched QEMU")
    a, b, core, mgr = idle_vm.start_idle(env, chk, "ir", reuse=True,
                                         manager_extra=f'qemu = "{qemu}";')

    chk.section("boot: the idle VM")
    ok, vm = idle_vm.wait_idle(mgr, idle_vm.BOOT_TIMEOUT)
    if not chk.ok(ok, "idle list shows idle0 idle", f"{vm}" + mgr.tail()):
        env.done(chk)
    pid = vm["pid"]
    fds = None
    done = 0
    for i in range(1, ROUNDS + 1):
        tag = f"round {i}"
        chk.section(f"{tag}: netvm-bridge hot-plugged into QEMU {pid}, then unplugged")
        if i > 1 and not shift_fds(chk, pid, tag):
            break
        nf = idle_vm.start_bridge(chk, core, mgr, a, b, tag)
        if nf is None or not stop_reused(chk, core, mgr, nf, pid, tag):
            break
        if fds is None:
            # QEMU closes some of an unplugged device's descriptors late (the
            # shared memory's with its RAM block, after an RCU grace period)
            time.sleep(FD_SETTLE_S)
            fds = qemu_fds(pid)
            print(f"  QEMU {pid} holds {fds} file descriptors after the first round",
                  flush=True)
        else:
            n = wait_fds(pid, fds + i - 1, FD_SETTLE_S * 5)
            chk.eq(n, fds + i - 1, f"{tag}: QEMU holds as many file descriptors as after "
                   f"round 1 and the {i - 1} the test added")
        done = i

    chk.section("end: the same QEMU served every round")
    lst = idle_vm.idle_list(mgr)[1]
    chk.eq(done, ROUNDS, f"all {ROUNDS} rounds ran in QEMU {pid}")
    chk.eq(lst.get("provisioned"), done, f"idle list counts {done} NFs provisioned")
    chk.eq((lst.get("replaced"), lst.get("retired")), (0, 0),
           "idle list: no VM replaced, none retired")
    chk.ok(idle_vm._alive(pid), f"QEMU {pid} is alive")
    log = mgr.stdout()
    chk.ok("idle vm idle0: QEMU exited" not in log and "idle vm idle0: destroyed" not in log,
           "the manager never saw idle0's QEMU exit nor destroyed it", log[-800:])
    mgrtest.shutdown(env, chk, mgr, core)


if __name__ == "__main__":
    main()
