#!/usr/bin/env python3
"""same_host: netvmctl vm migrate of an NF VM on one host while traffic goes through it.

  nsA 10.0.1.2/24 ── veth ── core engine ── veth ── nsB 10.0.2.2/24
                                  │ rings (role 1)
              VM "l3fwd" (netvm-manager, launcher qemu, manager.qemu = the
              QEMU of scripts/build-qemu.sh: ivshmem x-shared-no-migrate=on);
              its NF sleeps on its doorbell after 1 ms without packets
              (--sleep-after-us), so the pings between them wake it through
              ivshmem-doorbell's interrupt

  fail      the destination QEMU cannot take the stream (a directory sits
            where its migration socket <state_dir>/l3fwd.mig goes): vm migrate
            exits 1 with QEMU's own error, and the VM runs on in the same
            QEMU, routing
  migrate   a ping flood A -> B (every 10 ms) through the VM while
            `netvmctl vm migrate l3fwd` moves it to a new QEMU: ping counts 0
            lost; a canary on the host keeps a counter in every 4 KiB page of
            the pool and finds none written back (stock QEMU with master=on
            writes the pages it sent back into the shared pool); vm list
            shows the new QEMU pid with the same core instance; the old QEMU
            is gone; the NF was woken by its doorbell during the migration,
            once for every ring: netlib's wakeups (`netvmctl vm cmd l3fwd
            stats`) grow exactly as much as the core's nf<I>_doorbells (a
            doorbell event taken by the QEMU that does not run, the incoming
            destination or the finished source, would be a ring without a
            wake-up; the NF would wait for its 100 ms time-out), and netlib
            counts no missed_wakeups
  again     two more migrations (the new QEMU migrates in turn, and its
            successor too: a QEMU that came in by migration quits without
            removing its destination's QMP socket), flood and canary as
            above, no guest oops on the console after the NF attached (a
            guest crash a few seconds after a migration, in its hrtimer
            queue, was QEMU's TCG dirty tracking losing stores:
            qemu-patches/0004, docs/qemu-patches.md section 5)
  stop      vm stop after the migrations: the core has every buffer back

Prints the migration's figures (QEMU's total time and downtime, the
request's time). Needs root, hugepages, the guest image
(scripts/build-guest.sh) and the patched QEMU (scripts/build-qemu.sh):
exits 77 (skipped) without them.
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "manager"))
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import migtest  # noqa: E402
import mgrtest  # noqa: E402
import traffic  # noqa: E402

VM = traffic.VM
FLOOD = 400          # pings every 10 ms: about 4 s, the migration in the middle
FLOOD_LEAD_S = 1.0   # flood before the migration starts
SETTLE_S = 1.0       # after the flood, before reading the wake-up counters
SLEEP_OPTS = "--sleep-after-us 1000 "  # the NF blocks on its doorbell when idle


def nf_counters(mgr):
    """netlib's counters of the VM's NF ({name: value}) from `netvmctl vm cmd VM stats`."""
    res = subprocess.run([mgr.ctl, "-s", mgr.sock, "-t", "30", "vm", "cmd", VM, "stats"],
                         capture_output=True, text=True, timeout=60)
    return {k: int(v) for k, v in re.findall(r"^(\w+) (\d+)$", res.stdout, re.M)}


def migrate_under_flood(chk, core, mgr, vm, a, b, tag):
    """Migrate @vm during a flood with the canary on; the new vm dict or None."""
    rings_key = f"nf{vm['nf_id']}_doorbells"
    before, rings0 = nf_counters(mgr), core.stats().get(rings_key)
    canary = migtest.Canary(vm["pid"])
    canary.start()
    flood = migtest.Flood(a, b, FLOOD)
    time.sleep(FLOOD_LEAD_S)
    sweeps0 = canary.sweeps
    t0 = time.monotonic()
    rc, rep = mgr.netvmctl("vm", "migrate", VM)
    took = time.monotonic() - t0
    sweeps_during = canary.sweeps - sweeps0
    sent, got, out = flood.result(60)
    time.sleep(0.5)   # the canary goes on after the migration
    canary.stop()
    ok = chk.ok(rc == 0 and isinstance(rep, dict) and rep.get("ok") is True,
                f"{tag}: netvmctl vm migrate {VM} succeeds", str(rep)[:600] + mgr.tail())
    if ok:
        print(f"  migration: QEMU total {rep.get('migrate_ms')} ms, downtime "
              f"{rep.get('downtime_ms')} ms, destination set-up {rep.get('setup_ms')} ms, "
              f"request {rep.get('total_ms')} ms ({took:.2f} s seen by netvmctl)", flush=True)
        chk.ok(rep.get("pid") not in (None, vm["pid"]) and rep.get("old_pid") == vm["pid"],
               f"{tag}: the answer names the old QEMU pid {vm['pid']} and a new one",
               str(rep))
    chk.ok(sent is not None and sent == FLOOD and got == sent,
           f"{tag}: ping flood through the VM during the migration: {got} of {sent} "
           f"replies, 0 lost", out[-300:])
    chk.gt(sweeps_during, 0, f"{tag}: the canary swept the pool while the migration ran")
    time.sleep(SETTLE_S)  # the NF idles: its sleeps end by time-out, nothing rings
    after, rings1 = nf_counters(mgr), core.stats().get(rings_key)
    woke = after.get("wakeups", 0) - before.get("wakeups", 0)
    rings = (rings1 or 0) - (rings0 or 0)
    print(f"  doorbells rung by the core: {rings}, wake-ups by the doorbell in the guest: "
          f"{woke}", flush=True)
    chk.gt(woke, 0, f"{tag}: the NF slept and its doorbell woke it during the flood "
           f"(wakeups +{woke})")
    chk.ok(rings1 is not None and woke == rings, f"{tag}: every doorbell the core rang "
           f"woke the guest's NF, none was taken by the QEMU not running ({rings} rung, "
           f"{woke} wake-ups)")
    chk.ok("missed_wakeups" in after and
           after["missed_wakeups"] == before.get("missed_wakeups"),
           f"{tag}: no wake-up missed across the migration (missed_wakeups "
           f"{before.get('missed_wakeups')} -> {after.get('missed_wakeups')})", str(after))
    chk.eq(canary.nbad, 0, f"{tag}: no page of the pool written back in {canary.sweeps} "
           f"sweeps of {canary.pages} pages (first bad: {canary.bad})")
    if not ok:
        return None
    new = mgr.vm(VM)
    chk.ok(new.get("state") == "running" and new.get("pid") == rep.get("pid") and
           new.get("nf_id") == vm["nf_id"], f"{tag}: vm list shows {VM} running in the new "
           f"QEMU, same core instance {vm['nf_id']}", str(new))
    chk.ok(migtest.pid_gone(vm["pid"], 10), f"{tag}: the old QEMU (pid {vm['pid']}) is gone")
    traffic.ping_both(chk, core, new, a, b, tag)
    return new


def case_fail(chk, core, mgr, vm, a, b):
    """A destination that dies at once: migration refused, the VM runs on."""
    blocker = os.path.join(mgr.state_dir, f"{VM}.mig")
    os.mkdir(blocker)
    rc, out = mgr.netvmctl("vm", "migrate", VM, json_out=False)
    os.rmdir(blocker)
    chk.ok(rc == 1 and "migration failed, the VM runs on in QEMU pid" in out and
           "the destination QEMU said:" in out and "Is a directory" in out,
           "fail: vm migrate exits 1 with the destination QEMU's own error, the VM runs on",
           out.strip())
    now = mgr.vm(VM)
    chk.ok(now.get("state") == "running" and now.get("pid") == vm["pid"] and
           now.get("nf_id") == vm["nf_id"], "fail: vm list: the same QEMU, same instance",
           str(now))
    traffic.ping_both(chk, core, now, a, b, "fail")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env, chk, kernel, initrd, qemu = migtest.setup("same_host", 240, __doc__)

    chk.section("namespaces, core, manager with the patched QEMU")
    a, b, core = mgrtest.net_core(env, chk, "mh", traffic.CONFIG)
    routes = migtest.routes_file(env, a, b)
    mgr = mgrtest.Manager(env, core, [traffic.vm_config(kernel, initrd, routes, SLEEP_OPTS)],
                          f'qemu = "{qemu}"; ' + traffic.MANAGER_EXTRA)
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    vm = traffic.wait_running(chk, core, mgr, "start")
    if vm is None or not traffic.ping_both(chk, core, vm, a, b, "start"):
        chk.fatal("the VM routes before the migration")

    chk.section("fail: the destination QEMU cannot start")
    case_fail(chk, core, mgr, vm, a, b)

    chk.section("migrate: the VM moves to a new QEMU during a ping flood")
    vm2 = migrate_under_flood(chk, core, mgr, vm, a, b, "migrate")
    if vm2 is not None:
        for n in (2, 3):
            chk.section(f"again: migration {n}, from a QEMU that came in by migration")
            vm2 = migrate_under_flood(chk, core, mgr, vm2, a, b, f"again {n}")
            if vm2 is None:
                break
            chk.eq(mgr.vm(VM).get("restarts"), 0, f"again {n}: no restart counted")
        # from the NF's attach on: a TCG guest booting on a loaded machine may
        # report RCU stalls and soft lock-ups, which are not the point here
        with open(os.path.join(mgr.state_dir, f"{VM}.console"), errors="replace") as f:
            running = f.read().partition("attached as instance")[2]
        oops = re.findall(r".*(?:general protection|Oops|Kernel panic|BUG: unable).*", running)
        chk.eq(oops, [], "again: the guest's console shows no oops after the NF attached")

    chk.section("stop: every buffer back")
    rc, _ = mgr.netvmctl("vm", "stop", VM)
    chk.eq(rc, 0, f"netvmctl vm stop {VM}")
    migtest.check_pool_whole(chk, core, vm["nf_id"], "the core")

    mgrtest.shutdown(env, chk, mgr, core)


if __name__ == "__main__":
    main()
