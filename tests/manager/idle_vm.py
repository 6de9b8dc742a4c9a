#!/usr/bin/env python3
"""idle_vm: NFs provisioned into an idle VM that netvm-manager keeps booted.

  nvA-<pid> 10.0.1.2/24 ── port 0 ─┐                ┌─ port 1 ── nvB-<pid> 10.0.2.2/24
                                   └── core engine ─┘   (each namespace's gateway MAC is
                                        │ role 1         the other's: a bridge carries it)
                 idle VM idle0 (idle.count = 1): no ivshmem device, QMP, netvm-agent

  boot       idle list shows idle0 idle; its QEMU has no ivshmem device
  start      nf start --role 1 -- netvm-bridge: answered with a new instance id once
             the core has it; ping passes both ways through it (its nf<I>_rx grows)
  stop       nf stop ID: the core no longer has the instance, every buffer is back,
             the VM is retired (its QEMU gone, idle list's retired grows) and a
             fresh idle VM takes its slot (idle.reuse is false by default)
  again      a second NF in the fresh VM, attached afresh: ping passes again
  garbage    an NF that writes garbage to the agent's serial port: the manager
             says so, destroys and replaces the VM, the core has every buffer back
  hang       a QEMU stopped (SIGSTOP) before nf start: a QMP time-out, a clear
             error, nothing attached, the VM destroyed and replaced (refill)
  restart    a bridge started, its lease in idle0.idle-lease (mode 0600), the
             manager killed (SIGKILL), started again: the old QEMU is stopped, the
             NF's instance gone from the core with every buffer back (its lease
             ended, not left to expire), the file removed, a fresh idle0 booted

Needs root, hugepages, iproute2, ping and the guest image (skipped, 77, without it).
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
from nvtest.telemetry import nf_ids  # noqa: E402

ROLE = 1
BOOT_TIMEOUT = 120  # an idle VM's boot under TCG on a loaded machine (~5 s idle)
STEP_MS = 4000      # idle.timeout_ms: each provisioning step
BRIDGE = f"/bin/netvm-bridge --transport uio -r {ROLE}"
CONFIG = f"""core = {{ pool_buffers = 4095; buffer_size = 4096; }};
roles = ( {{ id = {ROLE}; name = "idle-nf"; }} );
rules = ( {{ in_port = 0; role = {ROLE}; }}, {{ in_port = 1; role = {ROLE}; }} );
default = {{ action = "drop"; }};
"""


def idle_config(kernel, initrd, count=1, template=False, reuse=False):
    """The manager's idle group: @count idle VMs, restored from a template or not,
    kept for the next NF after one stopped (@reuse) or retired."""
    return (f'idle = {{ count = {count}; vcpus = 1; memory = 256; kernel = "{kernel}"; '
            f'initrd = "{initrd}"; timeout_ms = {STEP_MS}; '
            f'template = {"true" if template else "false"}; '
            f'reuse = {"true" if reuse else "false"}; }};\n')


def start_idle(env, chk, tag, count=1, template=False, bridge=True, vms=(), reuse=False,
               manager_extra=""):
    """Namespaces, core (every packet to ROLE) and netvm-manager with an idle group
    (@manager_extra: more keys of its manager group); with @bridge each namespace's
    gateway is the other (a bridge keeps MACs). Returns (a, b, core, mgr)."""
    kernel, initrd = mgrtest.guest_image(env)
    a, b, core = mgrtest.net_core(env, chk, tag, CONFIG)
    if bridge:
        a.set_gateway_mac(b.ns_mac)
        b.set_gateway_mac(a.ns_mac)
    mgr = mgrtest.Manager(env, core, [v.format(kernel=kernel, initrd=initrd) for v in vms],
                          manager_extra)
    with open(mgr.conf, "a") as f:
        f.write(idle_config(kernel, initrd, count, template, reuse))
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    return a, b, core, mgr


def idle_list(mgr):
    """(idle VMs by name, the whole answer) of netvmctl --json idle list."""
    rc, out = mgr.netvmctl("idle", "list")
    if rc != 0 or not isinstance(out, dict):
        return {}, {}
    return {v["name"]: v for v in out.get("idle", [])}, out


def wait_idle(mgr, timeout, not_pid=None):
    """Wait until idle0 is idle (in a QEMU other than @not_pid); (ok, vm dict)."""
    deadline = time.monotonic() + timeout
    vm = {}
    while time.monotonic() < deadline:
        vm = idle_list(mgr)[0].get("idle0", {})
        if vm.get("state") == "idle" and vm.get("pid") not in (None, not_pid):
            return True, vm
        time.sleep(0.2)
    return False, vm


def qemu_has_ivshmem(pid):
    """Whether QEMU @pid's command line names an ivshmem device."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"ivshmem" in f.read()
    except OSError:
        return False


def pool_whole(st, gone):
    """No instance @gone in the core, every buffer free or held by another NF."""
    held = sum(st.get(f"nf{i}_held", 0) for i in nf_ids(st) if i != gone)
    return ("pool0_total" in st and f"nf{gone}_role" not in st and
            st.get("pool0_free", -1) + held == st["pool0_total"])


def nf_start(mgr, *cmd):
    """netvmctl --json nf start --role ROLE -- CMD; (exit status, answer)."""
    return mgr.netvmctl("nf", "start", "--role", str(ROLE), "--", *cmd)


def start_bridge(chk, core, mgr, a, b, tag):
    """Provision the bridge, ping through it; its instance id or None."""
    t0 = time.monotonic()
    rc, out = nf_start(mgr, BRIDGE)
    took = time.monotonic() - t0
    if not chk.ok(rc == 0 and isinstance(out, dict) and out.get("ok"),
                  f"{tag}: nf start --role {ROLE} -- netvm-bridge answers ok", f"{out}"
                  + mgr.tail()):
        return None
    nf = out["nf_id"]
    print(f"  {tag}: nf start took {took * 1000:.0f} ms (attach, hot-plug, agent, live: "
          f"{out.get('start_ms')} ms)", flush=True)
    st = core.stats()
    chk.eq(st.get(f"nf{nf}_role"), ROLE, f"{tag}: the core has instance {nf} as role {ROLE} "
           "when nf start answers")
    _, nfs = mgr.netvmctl("nf", "list")
    mine = [n for n in (nfs.get("nfs", []) if isinstance(nfs, dict) else [])
            if n.get("id") == nf]
    chk.ok(len(mine) == 1 and mine[0].get("vm") == "idle0" and mine[0].get("proc") is None,
           f"{tag}: nf list names idle0 as instance {nf}'s VM", f"{nfs}")
    _, met = mgr.netvmctl("metrics")
    chk.eq(met.get("nf_vms", {}).get(str(nf)) if isinstance(met, dict) else met, "idle0",
           f"{tag}: metrics' nf_vms names idle0 for instance {nf}")
    rx0 = st.get(f"nf{nf}_rx", 0)
    ok1, rep1, _, out1 = ping(a, b.addr, tries=4)
    chk.ok(ok1, f"{tag}: ping {a.addr} -> {b.addr} through the provisioned NF", out1[-300:])
    ok2, rep2, _, out2 = ping(b, a.addr)
    chk.ok(ok2, f"{tag}: ping {b.addr} -> {a.addr} through it", out2[-300:])
    chk.ge(core.stats().get(f"nf{nf}_rx", 0) - rx0, 2 * (rep1 + rep2),
           f"{tag}: nf{nf}_rx grows by at least 2 x the {rep1 + rep2} replies")
    return nf


def stop_nf(chk, core, mgr, nf, pid, tag):
    """nf stop @nf: the instance gone, the pool whole, the VM (QEMU @pid) retired
    and a fresh one idle in its slot; the fresh one's pid."""
    retired = idle_list(mgr)[1].get("retired", 0)
    rc, out = mgr.netvmctl("nf", "stop", str(nf))
    chk.ok(rc == 0 and "retired" in str(out.get("message") if isinstance(out, dict)
                                         else out),
           f"{tag}: nf stop {nf}: the VM is retired", f"{out}" + mgr.tail())
    ok, st = core.tel.wait_for(lambda s: pool_whole(s, nf), 5)
    chk.ok(ok, f"{tag}: the core has no instance {nf} and every buffer back",
           f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')} "
           f"role={st.get(f'nf{nf}_role')}")
    chk.eq(idle_list(mgr)[1].get("retired", 0), retired + 1, f"{tag}: idle list counts it "
           "retired (not replaced: nothing failed)")
    ok, vm = wait_idle(mgr, BOOT_TIMEOUT, not_pid=pid)
    chk.ok(ok and not _alive(pid), f"{tag}: QEMU {pid} is gone, a fresh idle VM takes "
           "idle0", f"{vm}")
    return vm.get("pid")


def _alive(pid):
    return os.path.exists(f"/proc/{pid}") and not _zombie(pid)


def case_garbage(chk, core, mgr, pid):
    """An NF writing garbage to the agent's port: VM destroyed and replaced, nothing leaks."""
    chk.section("garbage: an NF writes garbage to the agent's serial port")
    hostile = (f"sh -c '{BRIDGE} & sleep 2; printf \"started 9 x\\377\\n\" >/dev/ttyS1; "
               "wait'")
    rc, out = nf_start(mgr, hostile)
    nf = out.get("nf_id") if isinstance(out, dict) else None
    # the garbage comes 2 s after the start: the manager meets it at its next
    # look at the NF (a status check each second) or at nf stop
    deadline = time.monotonic() + 20
    lst = {}
    while time.monotonic() < deadline:
        vms, lst = idle_list(mgr)
        if lst.get("replaced", 0) >= 1:
            break
        time.sleep(0.3)
    err = (vms.get("idle0", {}).get("last_error") or "") + mgr.stdout()
    chk.ok(lst.get("replaced", 0) >= 1, "garbage: the VM is destroyed (idle list: replaced 1)",
           f"{lst} start: {rc} {out}")
    chk.ok("nobody asked for" in err or "garbage answer" in err,
           "garbage: the manager says the agent's output was garbage", err[-600:])
    if nf is not None:
        ok, st = core.tel.wait_for(lambda s: pool_whole(s, nf), 5)
        chk.ok(ok, f"garbage: the core has no instance {nf} and every buffer back",
               f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')}")
    ok, vm = wait_idle(mgr, BOOT_TIMEOUT, not_pid=pid)
    chk.ok(ok, "garbage: a new idle VM is booted in its place (refill)", f"{vm}")
    return vm.get("pid")


def case_hang(chk, core, mgr, pid):
    """A QEMU that stops answering mid-provision: a clear error, nothing attached."""
    chk.section("hang: the idle VM's QEMU is stopped (SIGSTOP) before nf start")
    attached0 = core.stats().get("nfs_attached")
    os.kill(pid, signal.SIGSTOP)
    t0 = time.monotonic()
    rc, out = nf_start(mgr, BRIDGE)
    took = time.monotonic() - t0
    err = out.get("error", "") if isinstance(out, dict) else str(out)
    chk.ok(rc == 1 and "QMP" in err and "replaced" in err,
           "hang: nf start fails with the QMP time-out and says the VM is replaced",
           f"rc {rc}: {out}")
    chk.ok(took < 3 * STEP_MS / 1000 + 10, f"hang: it gives up within the step time-out "
           f"({took:.1f} s)")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == attached0 and
                               s.get("pool0_free") == s.get("pool0_total"), 5)
    chk.ok(ok, "hang: nothing stays attached, every buffer is back",
           f"nfs_attached={st.get('nfs_attached')} pool0_free={st.get('pool0_free')}")
    chk.ok(not os.path.exists(f"/proc/{pid}") or _zombie(pid),
           f"hang: the stopped QEMU (pid {pid}) is gone")
    ok, vm = wait_idle(mgr, BOOT_TIMEOUT, not_pid=pid)
    chk.ok(ok, "hang: a new idle VM is booted in its place (refill)", f"{vm}")


def case_restart(chk, core, mgr):
    """A manager killed with an NF running in idle0: the next one stops that QEMU
    and ends the NF's lease."""
    chk.section("restart: the manager killed (SIGKILL) while idle0 runs an NF")
    rc, out = nf_start(mgr, BRIDGE)
    nf = out.get("nf_id") if isinstance(out, dict) else None
    pid = idle_list(mgr)[0].get("idle0", {}).get("pid")
    if not chk.ok(rc == 0 and nf is not None and pid, "restart: nf start answers ok",
                  f"{out}" + mgr.tail()):
        return
    lease = os.path.join(mgr.state_dir, "idle0.idle-lease")
    try:
        with open(lease) as f:
            held = f.read().split()
        mode = os.stat(lease).st_mode & 0o777
    except OSError as exc:
        held, mode = [str(exc)], None
    chk.ok(held[:1] == [str(nf)] and len(held) == 2 and mode == 0o600,
           f"restart: idle0.idle-lease holds nf id {nf}'s lease, mode 0600",
           f"{held} mode {mode}")
    mgr.kill()
    chk.ok(_alive(pid) and f"nf{nf}_role" in core.stats(),
           "restart: the killed manager's QEMU and NF run on")
    err = mgr.start_ready()
    if err:
        chk.fatal("restart: netvm-manager starts again", err)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    chk.ok(not _alive(pid), f"restart: the old QEMU (pid {pid}) is stopped")
    ok, st = core.tel.wait_for(lambda s: pool_whole(s, nf), 5)
    chk.ok(ok, f"restart: the core has no instance {nf} and every buffer back (its lease "
           "ended)", f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')}")
    line = (f"idle vm idle0: stopping QEMU pid {pid} left by a previous netvm-manager; "
            f"ending the lease of its nf id {nf}")
    chk.ok(line in mgr.stdout(), f"restart: the log says '{line}'", mgr.tail())
    chk.ok(not os.path.exists(lease), "restart: idle0.idle-lease is removed")
    ok, vm = wait_idle(mgr, BOOT_TIMEOUT, not_pid=pid)
    chk.ok(ok, "restart: a fresh idle0 boots", f"{vm}" + mgr.tail())


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("idle_vm", 360, __doc__)
    chk = check.Checker("idle_vm")

    chk.section("namespaces, core, manager with one idle VM")
    a, b, core, mgr = start_idle(env, chk, "iv")

    chk.section("boot: the idle VM")
    ok, vm = wait_idle(mgr, BOOT_TIMEOUT)
    if not chk.ok(ok, "idle list shows idle0 idle", f"{vm}" + mgr.tail()):
        env.done(chk)
    pid = vm["pid"]
    chk.ok(not qemu_has_ivshmem(pid), "the idle VM's QEMU has no ivshmem device")

    chk.section("start and stop: netvm-bridge provisioned into the idle VM")
    nf = start_bridge(chk, core, mgr, a, b, "start")
    if nf is not None:
        pid = stop_nf(chk, core, mgr, nf, pid, "stop")
        chk.section("again: a second NF in the fresh VM, attached afresh")
        nf2 = start_bridge(chk, core, mgr, a, b, "again") if pid else None
        if nf2 is not None:
            chk.eq(idle_list(mgr)[1].get("provisioned"), 2, "again: idle list counts 2 NFs "
                   "provisioned (a fresh attach each)")
            pid = stop_nf(chk, core, mgr, nf2, pid, "again")
        if pid:
            pid = case_garbage(chk, core, mgr, pid)
        if pid:
            case_hang(chk, core, mgr, pid)
        case_restart(chk, core, mgr)

    chk.section("shutdown")
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
