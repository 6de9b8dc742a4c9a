#!/usr/bin/env python3
"""traffic: kernel traffic routed by netvm-l3fwd in a VM that netvm-manager runs.

  nvA-<pid> 10.0.1.2/24                               nvB-<pid> 10.0.2.2/24
        │ veth                                               │ veth
  host end = port 0 ─┐                          ┌─ port 1 = host end
   (net_af_packet)   └──────── core engine ─────┘   (net_af_packet)
                               │ rings (role 1)
                    VM "l3fwd" started by netvm-manager (launcher qemu):
                    netvm-l3fwd --transport uio -r 1 -- --mode lpm
                    --routes /etc/netvm/routes (written by the manager's `files`)

  ping      ping both ways passes through the VM; the core counts the VM's
            instance; netvmctl --json nf list and stats show it
  adopt     netvm-manager killed (SIGKILL) during a ping flood: the flood
            still goes through the VM and ping passes with no manager (the
            core keeps the VM's lease); a new manager adopts the same QEMU
  kill      QEMU (adopted: not the new manager's child) killed (SIGKILL)
            during a ping flood: netvmctl vm list shows the VM down, the core
            has every buffer back (free + held by other NFs == total);
            restart = "on-failure" brings it back and ping passes again

Needs root, hugepages, iproute2, ethtool, ping and the guest image with
netvm-l3fwd: exits 77 (skipped) when scripts/build-guest.sh has not built it.
"""

import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import mgrtest  # noqa: E402
from l3fwd_vm import ping  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Proc  # noqa: E402
from nvtest.telemetry import nf_ids  # noqa: E402

ROLE = 1
VM = "l3fwd"
PINGS = 5
BOOT_TIMEOUT = 60  # start to guest NF attached and running (TCG: ~5 s)

# 4095 buffers + the header slot = 4096 x 4 KiB = 16 MiB, a power of two;
# net_af_packet needs buffers above 2048 bytes.
CONFIG = f"""core = {{ pool_buffers = 4095; buffer_size = 4096; }};
roles = ( {{ id = {ROLE}; name = "vm-l3fwd"; }} );
rules = ( {{ in_port = 0; role = {ROLE}; }}, {{ in_port = 1; role = {ROLE}; }} );
default = {{ action = "drop"; }};
"""
MANAGER_EXTRA = ("restart_backoff_ms = 2000; restart_backoff_max_ms = 4000; "
                 "restart_limit = 3; stable_after_s = 2;")


def vm_config(kernel, initrd, routes_file, netlib_opts=""):
    """The one VM: l3fwd over UIO (and netlib's @netlib_opts), its route file written
    into the guest."""
    nf = (f"/bin/netvm-l3fwd --transport uio -r {ROLE} {netlib_opts}-- --mode lpm "
          "--routes /etc/netvm/routes")
    return (f'  {{ name = "{VM}"; role = {ROLE}; queues = 1; vcpus = 1; memory = 256;\n'
            f'    kernel = "{kernel}"; initrd = "{initrd}";\n'
            f'    files = [ "/etc/netvm/routes:{routes_file}" ];\n'
            f'    nf = "{nf}"; launcher = "qemu"; restart = "on-failure"; }}')


def vm_nf_rx(core, vm):
    """nf<I>_rx of the VM's instance in the core's counters (0 when absent)."""
    return core.stats().get(f"nf{vm.get('nf_id')}_rx", 0)


def wait_running(chk, core, mgr, tag):
    """Wait for the VM running and its instance attached; the vm dict or None."""
    ok, vm = mgr.wait_vm(VM, lambda v: v["state"] == "running", BOOT_TIMEOUT)
    if not chk.ok(ok, f"{tag}: netvmctl vm list shows {VM} running", f"last seen {vm}"
                  + mgr.tail()):
        return None
    key = f"nf{vm.get('nf_id')}_role"
    ok, st = core.tel.wait_for(lambda s: s.get(key) == ROLE, 10)
    chk.ok(ok, f"{tag}: the core has the VM's instance {vm.get('nf_id')} as role {ROLE}",
           f"{key}={st.get(key)}")
    return vm


def ping_both(chk, core, vm, a, b, tag):
    """Ping both ways through the VM; True when both passed and the VM counted them."""
    rx0 = vm_nf_rx(core, vm)
    # the guest NF may still be starting: the first try gets generous retries
    ok1, rep1, rtt1, out1 = ping(a, b.addr, tries=6)
    chk.ok(ok1, f"{tag}: ping {a.addr} -> {b.addr}: {PINGS} of {PINGS} replies", out1[-300:])
    ok2, rep2, rtt2, out2 = ping(b, a.addr)
    chk.ok(ok2, f"{tag}: ping {b.addr} -> {a.addr}: {PINGS} of {PINGS} replies", out2[-300:])
    delta = vm_nf_rx(core, vm) - rx0
    chk.ge(delta, 2 * (rep1 + rep2),
           f"{tag}: nf{vm.get('nf_id')}_rx grows by at least 2 x the {rep1 + rep2} replies")
    rtts = [r for r in (rtt1, rtt2) if r is not None]
    if rtts:
        print(f"  ping RTT through the managed VM: avg {sum(rtts) / len(rtts):.3f} ms",
              flush=True)
    return ok1 and ok2


def check_ctl(chk, mgr, vm):
    """netvmctl --json nf list and stats show the VM's NF."""
    rc, nfs = mgr.netvmctl("nf", "list")
    lst = nfs.get("nfs", []) if isinstance(nfs, dict) else []
    mine = [n for n in lst if n.get("vm") == VM]
    chk.ok(rc == 0 and len(mine) == 1, f"netvmctl --json nf list: one NF belongs to {VM}",
           str(nfs)[:400])
    if mine:
        chk.eq(mine[0].get("role"), ROLE, f"nf list: the VM's NF has role {ROLE}")
    rc, st = mgr.netvmctl("stats")
    text = str(st)
    chk.ok(rc == 0 and isinstance(st, dict), "netvmctl --json stats answers", text[:300])
    chk.ok(f"nf{vm.get('nf_id')}_rx" in text,
           f"netvmctl --json stats has the VM's instance counters (nf{vm.get('nf_id')}_rx)",
           text[:400])


def pool_whole(st, gone):
    """Every buffer free or held by an NF other than instance @gone."""
    held = sum(st.get(f"nf{i}_held", 0) for i in nf_ids(st) if i != gone)
    return ("pool0_total" in st and f"nf{gone}_role" not in st and
            st.get("pool0_free", -1) + held == st["pool0_total"])


def flood(env, a, b):
    """A ping flood from @a to @b, started."""
    proc = Proc(env, "ping-flood", a.exec_argv([nvenv.which("ping") or "ping", "-n", "-q",
                                                 "-i", "0.01", "-c", "3000", b.addr]))
    proc.start()
    return proc


def flows(chk, core, vm, tag, what):
    """Check that nf<I>_rx of @vm grows by 20 within 10 s."""
    key = f"nf{vm['nf_id']}_rx"
    before = core.stats().get(key, 0)
    ok, st = core.tel.wait_for(lambda s: s.get(key, 0) >= before + 20, 10)
    return chk.ok(ok, f"{tag}: {what} ({key} {before} -> {st.get(key)})")


def case_adopt(env, chk, core, mgr, vm, a, b):
    """SIGKILL the manager during a flood: traffic goes on, a new manager adopts the VM."""
    chk.section("adopt: netvm-manager killed (SIGKILL) during a ping flood")
    pf = flood(env, a, b)
    flows(chk, core, vm, "adopt", "the flood goes through the VM")
    mgr.kill()
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{vm['nf_id']}_orphaned") == 1, 5)
    chk.ok(ok, f"adopt: the core keeps the VM's lease (nf{vm['nf_id']}_orphaned == 1)")
    flows(chk, core, vm, "adopt", "with no manager, the flood still goes through the VM")
    pf.stop(signal.SIGINT, 5)
    ok1, _, _, out = ping(a, b.addr)
    chk.ok(ok1, f"adopt: with no manager, ping {a.addr} -> {b.addr} passes", out[-300:])
    err = mgr.start_ready()
    if not chk.ok(err is None, "adopt: netvm-manager starts again", err or ""):
        return None
    vm2 = wait_running(chk, core, mgr, "adopt")
    if vm2 is None:
        return None
    chk.ok(vm2.get("adopted") is True and vm2.get("pid") == vm["pid"] and
           vm2.get("nf_id") == vm["nf_id"], "adopt: the new manager adopted the same QEMU and "
           "core instance", f"{vm2}")
    ping_both(chk, core, vm2, a, b, "adopt")
    return vm2


def case_kill(env, chk, core, mgr, vm, a, b):
    """SIGKILL QEMU during a ping flood: down, pool whole, restarted, ping again."""
    chk.section("kill: QEMU (adopted) killed (SIGKILL) during a ping flood")
    pf = flood(env, a, b)
    flows(chk, core, vm, "kill", "the flood goes through the VM")
    os.kill(vm["pid"], signal.SIGKILL)
    ok, down = mgr.wait_vm(VM, lambda v: v["state"] not in ("running", "starting"), 15)
    chk.ok(ok and down["state"] == "down" and "QEMU exited" in (down.get("last_down") or ""),
           "kill: netvmctl vm list shows the VM down, QEMU exited", f"last seen {down}")
    ok, st = core.tel.wait_for(lambda s: pool_whole(s, vm["nf_id"]), 5)
    chk.ok(ok, "kill: the core has every buffer back (pool0_free + held by other NFs == "
           "pool0_total)", f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')}")
    pf.stop(signal.SIGINT, 5)
    chk.section("restart: restart = on-failure brings the VM back")
    vm2 = wait_running(chk, core, mgr, "restart")
    if vm2 is None:
        return
    chk.ok(vm2.get("pid") != vm["pid"], "restart: a new QEMU", f"pid {vm2.get('pid')}")
    chk.eq(vm2.get("restarts"), 1, "restart: vm list counts one restart")
    ping_both(chk, core, vm2, a, b, "restart")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("traffic", 150, __doc__)
    chk = check.Checker("traffic")
    kernel, initrd = mgrtest.guest_image(env)

    chk.section("namespaces, core, manager")
    a, b, core = mgrtest.net_core(env, chk, "tr", CONFIG)
    routes = env.path("routes")
    with open(routes, "w") as f:
        f.write(f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n")
    mgr = mgrtest.Manager(env, core, [vm_config(kernel, initrd, routes)], MANAGER_EXTRA)
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)

    chk.section("ping: l3fwd in the managed VM routes between the namespaces")
    start = time.monotonic()
    vm = wait_running(chk, core, mgr, "start")
    if vm is not None and ping_both(chk, core, vm, a, b, "ping"):
        print(f"  (both pings passed {time.monotonic() - start:.1f} s after the VM started)",
              flush=True)
        check_ctl(chk, mgr, vm)
        vm = case_adopt(env, chk, core, mgr, vm, a, b)
        if vm is not None:
            case_kill(env, chk, core, mgr, vm, a, b)

    mgrtest.shutdown(env, chk, mgr, core)


if __name__ == "__main__":
    main()
