#!/usr/bin/env python3
"""refused: netvmctl vm migrate refuses clearly where it cannot migrate, and the VM runs on.

  stock     manager.qemu = Debian's stock qemu-system-x86_64 (no ivshmem
            property x-shared-no-migrate): its VMs run without the property,
            and vm migrate is refused with a message naming the property,
            scripts/build-qemu.sh and docs/qemu-patches.md; netvmctl exits 1;
            the VM runs on in the same QEMU, attached as before
  not up    vm migrate of a stopped VM: refused ("is not running")
  unknown   vm migrate of a VM the configuration does not have: refused

Needs root, hugepages, the guest image (scripts/build-guest.sh) and Debian's
qemu-system-x86: exits 77 (skipped) without the image.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "manager"))

import migtest  # noqa: E402,F401  (sets the import paths)
import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

STOCK_QEMU = "/usr/bin/qemu-system-x86_64"
VM = "probe"


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("refused", 200, __doc__)
    chk = check.Checker("refused")
    kernel, initrd = mgrtest.guest_image(env)
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    if not os.access(STOCK_QEMU, os.X_OK):
        chk.fatal(f"{STOCK_QEMU} installed (qemu-system-x86)")
    core = mgrtest.start_core(env, chk)
    mgr = mgrtest.Manager(env, core, [mgrtest.vm_config(VM, kernel, initrd, "qemu")],
                          f'qemu = "{STOCK_QEMU}"; ' + mgrtest.MANAGER_EXTRA)
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)

    chk.section("stock: Debian's QEMU cannot migrate the VM")
    ok, vm = mgr.wait_vm(VM, lambda v: v["state"] == "running", mgrtest.BOOT_TIMEOUT)
    if not chk.ok(ok, f"{VM} runs in stock QEMU", f"last seen {vm}" + mgr.tail()):
        env.done(chk)
    with open(f"/proc/{vm['pid']}/cmdline", "rb") as f:
        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    chk.ok("x-shared-no-migrate" not in cmdline and "-qmp" in cmdline,
           "stock QEMU runs without x-shared-no-migrate, with a QMP socket", cmdline[-400:])
    rc, out = mgr.netvmctl("vm", "migrate", VM, json_out=False)
    chk.eq(rc, 1, "netvmctl vm migrate exits 1")
    for word in ("x-shared-no-migrate", "scripts/build-qemu.sh", "docs/qemu-patches.md",
                 "manager.qemu"):
        chk.ok(word in out, f"the refusal names {word}", out.strip())
    after = mgr.vm(VM)
    chk.ok(after.get("state") == "running" and after.get("pid") == vm["pid"] and
           after.get("nf_id") == vm["nf_id"], "the VM runs on in the same QEMU, same core "
           "instance", str(after))
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 5)
    chk.ok(ok, "the core still has the VM's NF attached", f"nfs_attached {st.get('nfs_attached')}")

    chk.section("not up, unknown: refused")
    rc, _ = mgr.netvmctl("vm", "stop", VM)
    chk.eq(rc, 0, f"netvmctl vm stop {VM}")
    rc, out = mgr.netvmctl("vm", "migrate", VM, json_out=False)
    chk.ok(rc == 1 and "is not running" in out, "vm migrate of a stopped VM: refused, "
           "'is not running'", out.strip())
    rc, out = mgr.netvmctl("vm", "migrate", "nosuchvm", json_out=False)
    chk.ok(rc == 1 and "no VM called 'nosuchvm'" in out, "vm migrate of an unknown VM: "
           "refused", out.strip())

    mgrtest.shutdown(env, chk, mgr, core)


if __name__ == "__main__":
    main()
