#!/usr/bin/env python3
"""cross_host: netvmctl vm migrate NAME --to unix:MANAGER: an NF VM moves to another core.

Two simulated hosts on one machine (hosts.py), each a core engine with its
own file prefix, attach socket and pool, and a netvm-manager of its own.
VM "l3fwd" runs under manager A (launcher qemu, the patched QEMU); manager B
has the same VM configured with autostart = false.

  refused   --to a socket nobody listens on: exit 1, the reason, the VM runs
            on at A and routes; --to tcp:... without manager.migrate_key:
            exit 1 asking for it; --to ssh:...: exit 1 naming the two forms
  dies      the destination's QEMU killed as soon as manager B shows it: vm
            migrate exits 1, the VM runs on at A in the same QEMU and routes
            (its NF resumed after `park`), manager B stopped its side, core
            B has every buffer back
  move      ping floods A -> B on host A (6 s) and C -> D on host B (until
            2 s after the move), every 10 ms,
            while `netvmctl -s A vm migrate l3fwd --to unix:B`: manager B
            starts the VM's QEMU attached to core B waiting for the stream,
            the NF parks (netlib's `park`), QEMU migrates without the pools,
            manager A stops its side; the guest's netlib sees a new private
            region under its mapping and re-attaches. Checked: the request
            succeeds and names B's instance; host A's flood got replies
            before the move and host B's after it; the VM runs under manager
            B with that instance and routes C <-> D; the guest says it
            re-attached and reloaded (l3fwd takes core B's port MACs); its
            counters went on (rx did not restart at 0);
            manager A shows the VM stopped and its QEMU is gone; core A has
            every buffer back; a canary in every 4 KiB page of both pools
            (through each core's own fd of its pool) finds none written by
            anyone else
  stop      vm stop at B: core B has every buffer back

Prints the move's figures (set-up at B, park, QEMU's total time and
downtime, the request) and the data path's: packets lost by the two floods
together and the gap between the last reply on A and the first on B. Needs
root, hugepages, the guest image (scripts/build-guest.sh) and the patched
QEMU (scripts/build-qemu.sh): exits 77 (skipped) without them.
"""

import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "manager"))
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import hosts  # noqa: E402
import migtest  # noqa: E402
import traffic  # noqa: E402

VM = traffic.VM


def case_refused(chk, h):
    """Destinations that cannot take the VM: exit 1, the VM runs on at A."""
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to",
                               "unix:/nonexistent/netvm-manager.sock", json_out=False)
    chk.ok(rc == 1 and "the move to unix:/nonexistent/netvm-manager.sock failed, the VM "
           "runs on here" in out and "No such file or directory" in out,
           "refused: --to a socket nobody listens on: exit 1 with the reason", out.strip())
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", "tcp:192.0.2.1:4444",
                               json_out=False)
    chk.ok(rc == 1 and "needs manager.migrate_key" in out,
           "refused: --to tcp:... without manager.migrate_key: exit 1 asking for it",
           out.strip())
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", "ssh:192.0.2.1", json_out=False)
    chk.ok(rc == 1 and "give tcp:HOST:PORT" in out and "or unix:PATH" in out,
           "refused: --to ssh:...: exit 1 naming tcp:HOST:PORT and unix:PATH", out.strip())
    hosts.runs_on_at_a(chk, h, "refused")


def kill_when_up(mgr, stop):
    """SIGKILL the QEMU of @mgr's VM as soon as it shows one (until @stop is set)."""
    while not stop.is_set():
        pid = mgr.vm(VM).get("pid")
        if pid:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.02)


def case_dies(chk, h):
    """The destination QEMU killed as it comes up: the NF resumes, the VM runs on at A."""
    stop = threading.Event()
    killer = threading.Thread(target=kill_when_up, args=(h.mgr_b, stop), daemon=True)
    killer.start()
    rc, out = h.mgr_a.netvmctl("vm", "migrate", VM, "--to", f"unix:{h.mgr_b.sock}",
                               json_out=False)
    stop.set()
    killer.join(10)
    chk.ok(rc == 1 and "the move to unix:" in out and "failed, the VM runs on here in QEMU "
           f"pid {h.vm['pid']}" in out, "dies: vm migrate exits 1, the VM runs on at A",
           out.strip())
    hosts.runs_on_at_a(chk, h, "dies")
    ok, left = h.mgr_b.wait_vm(VM, lambda v: v["state"] == "stopped", 30)
    chk.ok(ok, "dies: manager B stopped its side again", str(left) + h.mgr_b.tail())
    migtest.check_pool_whole(chk, h.core_b, -1, "dies: core B")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env, chk, kernel, initrd, qemu = migtest.setup("cross_host", 300, __doc__)

    chk.section("two hosts: cores A and B, a manager each, the patched QEMU")
    h = hosts.start(env, chk, kernel, initrd, qemu)

    chk.section("refused: destinations that cannot take the VM")
    case_refused(chk, h)

    chk.section("dies: the destination QEMU is killed during the move")
    case_dies(chk, h)

    chk.section("move: the VM moves to core B during the floods")
    moved = hosts.case_move(chk, h, f"unix:{h.mgr_b.sock}")
    hosts.finish(env, chk, h, moved)


if __name__ == "__main__":
    main()
