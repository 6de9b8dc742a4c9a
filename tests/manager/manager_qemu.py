#!/usr/bin/env python3
"""manager_qemu: netvm-manager runs a VM with the qemu launcher; netvmctl shows it.

Starts netvm-core (one port that receives nothing) and netvm-manager with one
VM booting scripts/build-guest.sh's image, whose NF is nvm_uio_probe (it lists
the ivshmem regions on the console, then the guest idles). Checks, all from
outside the manager (core telemetry, netvmctl --json, the guest's console):

  start        the VM is running, the core has exactly its NF attached, the
               guest found the pool (of the size the core's /netvm/pools gives)
               and its private region; a second peer on the chardev is refused
  kill -9      QEMU killed: the VM is reported down with the signal, the core
               detaches it and every pool buffer comes back; it is restarted
               (restart = on-failure) in a new QEMU
  manager      the manager killed and started again: the QEMU it left is
               stopped and the VM runs anew, attached again
  stop/start   netvmctl vm stop / vm start; an unknown VM is an error
  SIGTERM      the manager stops its VM and exits 0

Needs root, hugepages and the guest image: exits 77 (skipped) without the image.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("manager_qemu", 280, __doc__)
    chk = check.Checker("manager_qemu")
    kernel, initrd = mgrtest.guest_image(env)
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    core = mgrtest.start_core(env, chk)
    mgr = mgrtest.Manager(env, core, [mgrtest.vm_config("probe", kernel, initrd, "qemu")],
                          mgrtest.MANAGER_EXTRA)
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    mgrtest.lifecycle(env, chk, core, mgr, "probe", "qemu")
    env.done(chk)


if __name__ == "__main__":
    main()
