#!/usr/bin/env python3
"""idle_template: idle VMs restored from a saved template (idle.template = true).

  nvA-<pid> ── port 0 ── core engine (role 1) ── port 1 ── nvB-<pid>
                           │
     idle-tpl: booted once, saved with QMP migrate to <state_dir>/idle.template, killed
     idle0:    QEMU -incoming defer + migrate-incoming of that file (no ivshmem device)

  restore   idle list: the template ready, idle0 idle in a QEMU started with -incoming
            and without ivshmem; netvm-bridge provisioned into it carries ping both
            ways; nf stop gives every buffer back
  refill    idle0's QEMU killed (-9): the slot is restored again from the same file
            (restores 2); the guest's clock is the host's (the NF prints it), not the
            template's; ping passes through a new bridge in it
  corrupt   the template file overwritten with garbage, idle0 killed: the restore fails
            with a clear error (idle list's template error, nf start's answer), no VM
            is cold-booted instead, the template is made again and idle0 restored from it

Needs root, hugepages, iproute2, ping and the guest image (skipped, 77, without it).
"""

import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import idle_vm  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

BOOT_TIMEOUT = 150  # the template VM's boot and save under TCG on a loaded machine
CLOCK_SLACK_S = 10  # the guest's clock against the host's after a restore


def qemu_args(pid):
    """QEMU @pid's command line as a list of words ([] when it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [w.decode() for w in f.read().split(b"\0") if w]
    except OSError:
        return []


def template(mgr):
    """The template part of idle list ({} when absent)."""
    return idle_vm.idle_list(mgr)[1].get("template") or {}


def wait_restored(chk, mgr, tag, not_pid=None, restores=1):
    """Wait until idle0 is idle in a restored QEMU; its pid or None."""
    ok, vm = idle_vm.wait_idle(mgr, BOOT_TIMEOUT, not_pid=not_pid)
    tpl = template(mgr)
    if not chk.ok(ok, f"{tag}: idle0 is idle", f"{vm} {tpl}" + mgr.tail()):
        return None
    args = qemu_args(vm["pid"])
    chk.ok("-incoming" in args and "defer" in args,
           f"{tag}: idle0's QEMU was started with -incoming defer (restored, not booted)",
           " ".join(args)[-300:])
    chk.ok(not any("ivshmem" in a for a in args), f"{tag}: idle0's QEMU has no ivshmem device")
    chk.ok(tpl.get("state") == "ready" and tpl.get("restores", 0) >= restores and
           tpl.get("bytes", 0) > 0,
           f"{tag}: idle list: the template is ready, {restores}+ restore(s)", f"{tpl}")
    return vm["pid"]


def guest_clock(mgr, mark, timeout=20):
    """The seconds since 1970 the guest printed after @mark on idle0's console."""
    path = os.path.join(mgr.state_dir, "idle0.console")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, errors="replace") as f:
                m = re.search(mark + r" (\d+)", f.read())
            if m:
                return int(m.group(1))
        except OSError:
            pass
        time.sleep(0.2)
    return None


def case_refill(chk, core, mgr, a, b, pid):
    """idle0 killed: restored again from the same file, its clock set, traffic passes."""
    chk.section("refill: idle0's QEMU killed, the slot restored again")
    tpl0 = template(mgr)
    # the template's clock must lag enough for the clock check to see a restore
    # that did not set it
    time.sleep(max(0.0, 3 * CLOCK_SLACK_S - (time.time() - mgr.tpl_saved_at)))
    age = time.time() - mgr.tpl_saved_at
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    pid = wait_restored(chk, mgr, "refill", not_pid=pid, restores=2)
    if pid is None:
        return None
    print(f"  refill: idle again {time.monotonic() - t0:.2f} s after the kill "
          f"(the tick reaps, restores, pings)", flush=True)
    chk.eq(template(mgr).get("made"), tpl0.get("made"), "refill: the template was not made "
           "again (the same file)")
    rc, out = idle_vm.nf_start(mgr, f"sh -c 'echo netvm-clock $(date +%s); "
                               f"exec {idle_vm.BRIDGE}'")
    if not chk.ok(rc == 0 and isinstance(out, dict) and out.get("ok"),
                  "refill: nf start in the restored VM", f"{out}" + mgr.tail()):
        return pid
    seen = guest_clock(mgr, "netvm-clock")
    host = time.time()
    chk.ok(seen is not None and abs(seen - host) < CLOCK_SLACK_S,
           f"refill: the guest's clock is the host's within {CLOCK_SLACK_S} s "
           f"(guest {seen}, host {host:.0f}; the template is {age:.0f} s old)")
    ok1, _, _, out1 = idle_vm.ping(a, b.addr, tries=4)
    chk.ok(ok1, "refill: ping through the bridge in the restored VM", out1[-300:])
    return idle_vm.stop_nf(chk, core, mgr, out["nf_id"], pid, "refill")


def case_corrupt(chk, mgr, pid):
    """A template QEMU cannot load: a clear error, no cold boot, the template made again."""
    chk.section("corrupt: the template file overwritten, idle0 killed")
    path = template(mgr).get("path", "")
    made = template(mgr).get("made", 0)
    with open(path, "r+b") as f:
        f.write(b"not a migration stream\n" * 64)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    err = ""
    while time.monotonic() < deadline and not err:
        err = template(mgr).get("error") or ""
        time.sleep(0.1)
    chk.ok("restoring idle0 from it failed" in err, "corrupt: idle list says the restore "
           "from the template failed", f"{template(mgr)}" + mgr.tail())
    rc, out = idle_vm.nf_start(mgr, idle_vm.BRIDGE)
    msg = out.get("error", "") if isinstance(out, dict) else str(out)
    chk.ok(rc == 1 and "no idle VM is ready" in msg and "idle template" in msg,
           "corrupt: nf start is refused and names the template's failure", f"rc {rc}: {out}")
    pid = wait_restored(chk, mgr, "corrupt", not_pid=pid)
    chk.ok(template(mgr).get("made", 0) == made + 1, "corrupt: the template was made again",
           f"{template(mgr)}")
    return pid


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("idle_template", 280, __doc__)
    chk = check.Checker("idle_template")

    chk.section("namespaces, core, manager with one idle VM from a template")
    a, b, core, mgr = idle_vm.start_idle(env, chk, "it", template=True)

    chk.section("restore: idle0 from the template")
    pid = wait_restored(chk, mgr, "restore")
    mgr.tpl_saved_at = time.time()
    if pid is not None:
        tpl = template(mgr)
        print(f"  template: {tpl.get('bytes', 0) >> 10} KiB saved in {tpl.get('save_ms')} ms",
              flush=True)
        nf = idle_vm.start_bridge(chk, core, mgr, a, b, "restore")
        if nf is not None:
            # the VM is retired: the fresh one in its slot is restored too
            pid = idle_vm.stop_nf(chk, core, mgr, nf, pid, "restore")
        if pid:
            pid = case_refill(chk, core, mgr, a, b, pid)
    if pid is not None:
        case_corrupt(chk, mgr, pid)

    chk.section("shutdown")
    path = template(mgr).get("path", "")
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    chk.ok(path and not os.path.exists(path), f"the template file {path} is removed")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
