"""Helpers of the manager suite: the guest image, netvm-manager, netvmctl, waits.

A test starts the core engine with nvtest.Core, writes a manager
configuration naming that core (socket, EAL file prefix) and one VM, starts
netvm-manager as an nvtest Proc and reads the state back with netvmctl --json:
the tests check what an operator would see, not the manager's insides.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import env as nvenv  # noqa: E402
from nvtest import guest as nvguest  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Proc  # noqa: E402

SKIP = 77
ROLE = 2
MANAGER_BIN = "manager/netvm-manager"
NETVMCTL_BIN = "manager/netvmctl"
# lists the regions the guest sees, then runs an NF (nothing sends it traffic)
PROBE_NF = f"/bin/nvm_uio_probe; /bin/netvm-bridge --transport uio -r {ROLE}"
KIND_RE = re.compile(r"^uio\d+: .*map1=(0x[0-9a-f]+) .*kind=(\w+)\s*$")

# A pool of 4095 buffers of 2048 bytes plus the header slot: 8 MiB, a power of two.
# A manager's orphaned lease lives LEASE_S seconds.
LEASE_S = 4
CORE_CONFIG = f"""
core = {{ pool_buffers = 4095; buffer_size = 2048; ring_size = 256; lease_s = {LEASE_S}; }};
default = {{ action = "drop"; }};
"""


def guest_image(env, names=("vmlinux", "initramfs.cpio.gz")):
    """Paths of @names in scripts/build-guest.sh's image, or exit 77 when one is missing."""
    gdir = nvguest.guest_dir(env.source_dir)
    what = nvguest.missing(gdir, names)
    if what:
        print(f"{env.name}: skipped: {what} is missing; run scripts/build-guest.sh "
              f"(NETVM_GUEST_DIR={gdir})", flush=True)
        env.failed = False
        sys.exit(SKIP)
    print(f"{env.name}: guests under {nvguest.accel_line(gdir)}", flush=True)
    return tuple(os.path.join(gdir, n) for n in names)


def net_core(env, chk, tag, config):
    """Two namespaces joined to a core by veth pairs (core on their host ends).

    Checks root, hugepages, the binaries and ip/ethtool/ping first. Returns
    (a, b, core): the namespaces, their gateway MACs set to the core's ports.
    """
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, MANAGER_BIN, NETVMCTL_BIN])
    for prog in ("ip", "ethtool", "ping"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found")
    try:
        a, b = nvnetns.make_pair(env)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        chk.fatal("namespaces and veth pairs set up", f"{exc}: {getattr(exc, 'stderr', '')}")
    a.set_gateway_mac(a.host_mac)
    b.set_gateway_mac(b.host_mac)
    core = Core(env, tag, config, [f"net_af_packet0,iface={a.host_if}",
                                   f"net_af_packet1,iface={b.host_if}"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts on the two host-end veths", err or ""):
        env.done(chk)
    return a, b, core


def start_core(env, chk):
    """netvm-core with one port that receives nothing (so the pool drains back to full)."""
    core = Core(env, "mg", CORE_CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)
    return core


class Manager(Proc):
    """netvm-manager with a configuration written into the work directory."""

    def __init__(self, env, core, vms, manager_extra="", name="manager"):
        # a second manager (another simulated host) gets paths of its own
        self.state_dir = env.path("vms" if name == "manager" else f"{name}-vms")
        self.sock = env.path("manager.sock" if name == "manager" else f"{name}.sock")
        self.conf = env.path(f"{name}.conf")
        # registered before Proc's kill, so it runs after it (cleanup is LIFO):
        # QEMU runs in its own session and outlives a killed manager
        env.add_cleanup(self.kill_qemus)
        with open(self.conf, "w") as f:
            # KVM or TCG as build-guest.sh found this machine (manager.accel)
            accel = nvguest.accel(nvguest.guest_dir(env.source_dir))
            f.write(f'manager = {{ socket = "{self.sock}"; state_dir = "{self.state_dir}";'
                    f' accel = "{accel}"; {manager_extra} }};\n')
            f.write(f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n')
            f.write("vms = (\n" + ",\n".join(vms) + "\n);\n")
        super().__init__(env, name, [env.binary(MANAGER_BIN), "-c", self.conf])
        self.ctl = env.binary(NETVMCTL_BIN)

    def kill_qemus(self):
        """SIGKILL the QEMUs of the pidfiles in the state directory, idle VMs' too
        (cleanup)."""
        try:
            names = os.listdir(self.state_dir)
        except OSError:
            return
        for fname in names:
            if not fname.endswith((".pid", ".idle-pid")):
                continue
            try:
                with open(os.path.join(self.state_dir, fname)) as f:
                    pid = int(f.read().strip())
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    ours = self.state_dir.encode() in f.read()
                if ours:
                    os.kill(pid, 9)
            except (OSError, ValueError):
                pass

    def start_ready(self, timeout=20.0):
        """Start and wait until netvmctl gets an answer; None or a message."""
        try:
            self.start()
        except OSError as exc:
            return f"cannot run {self.argv[0]}: {exc}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return f"netvm-manager exited with status {self.wait(1)}:{self.tail()}"
            if self.vms() is not None:
                return None
            time.sleep(0.1)
        return f"netvm-manager not answering on {self.sock} after {timeout:.0f} s:{self.tail()}"

    def netvmctl(self, *args, json_out=True):
        """Run netvmctl; (exit status, parsed JSON or the text it printed)."""
        argv = [self.ctl, "-s", self.sock] + (["--json"] if json_out else []) + list(args)
        res = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if not json_out:
            return res.returncode, res.stdout + res.stderr
        try:
            return res.returncode, json.loads(res.stdout)
        except ValueError:
            return res.returncode, res.stdout + res.stderr

    def vms(self):
        """{name: vm dict} from 'netvmctl vm list', or None when the manager does not answer."""
        rc, out = self.netvmctl("vm", "list")
        if rc != 0 or not isinstance(out, dict):
            return None
        return {vm["name"]: vm for vm in out.get("vms", [])}

    def vm(self, name):
        """The vm dict of @name, or {} when unknown or unreachable."""
        return (self.vms() or {}).get(name, {})

    def wait_vm(self, name, pred, timeout):
        """Poll vm @name until pred(vm); (True, vm) or (False, last vm seen)."""
        deadline = time.monotonic() + timeout
        vm = {}
        while True:
            vm = self.vm(name)
            if vm and pred(vm):
                return True, vm
            if time.monotonic() >= deadline:
                return False, vm
            time.sleep(0.1)


def shutdown(env, chk, mgr, core):
    """End a scenario: SIGTERM the manager (exit 0), stop the core (no buffer leaked)."""
    chk.section("shutdown")
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    core.stop_checked(chk)
    env.done(chk)


def console_regions(path):
    """{kind: map1 size} of the probe's lines on the guest console at @path."""
    out = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = KIND_RE.match(line.strip("\r\x1b").strip())
                if m:
                    out[m.group(2)] = int(m.group(1), 16)
    except OSError:
        pass
    return out


def wait_console(path, timeout):
    """Wait until the console shows both a pool and a private region; the regions seen."""
    deadline = time.monotonic() + timeout
    while True:
        regions = console_regions(path)
        if ("pool" in regions and "priv" in regions) or time.monotonic() >= deadline:
            return regions
        time.sleep(0.2)


def pid_alive(pid):
    """Whether process @pid exists (and is not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def read_pid(path):
    """The pid in pidfile @path, or None."""
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def refused_second_peer(sock_path):
    """Connect to a VM's chardev socket as a second peer: True when the manager closes it
    without sending anything (the ivshmem greeting goes to one QEMU only)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(sock_path)
        return s.recv(8) == b""
    except OSError:
        return False
    finally:
        s.close()


def pool_info(core):
    """(name, size) of pool 0 from the core's /netvm/pools telemetry."""
    data = core.tel.command("/netvm/pools")
    return data["pool0_name"], data["pool0_size"]


def vm_config(name, kernel, initrd, launcher):
    """One VM of the suite: the probe NF, restart on failure."""
    return (f'  {{ name = "{name}"; role = {ROLE}; queues = 1; vcpus = 1; memory = 128;\n'
            f'    kernel = "{kernel}"; initrd = "{initrd}";\n'
            f'    nf = "{PROBE_NF}"; launcher = "{launcher}"; restart = "on-failure"; }}')


# Restart delay long enough to see the VM down (core detached, pool full) for sure.
MANAGER_EXTRA = ("restart_backoff_ms = 4000; restart_backoff_max_ms = 8000; "
                 "restart_limit = 3; stable_after_s = 2;")
BOOT_TIMEOUT = 90  # seconds from start to both regions on the console (TCG: ~5)


def check_up(chk, core, mgr, name, tag):
    """The VM runs, the core has its NF, the guest found both regions. Returns the vm dict."""
    ok, vm = mgr.wait_vm(name, lambda v: v["state"] == "running", BOOT_TIMEOUT)
    chk.ok(ok, f"{tag}: netvmctl vm list shows {name} running", f"last seen {vm}"
           + mgr.tail())
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 10)
    chk.ok(ok, f"{tag}: core telemetry nfs_attached == 1",
           f"nfs_attached {st.get('nfs_attached')}")
    ids = [k[2:-5] for k, v in st.items() if k.startswith("nf") and k.endswith("_role")
           and v == ROLE]
    chk.eq(ids, [str(vm.get("nf_id"))], f"{tag}: the core's NF of role {ROLE} is the VM's nf id")
    console = os.path.join(mgr.state_dir, f"{name}.console")
    regions = wait_console(console, BOOT_TIMEOUT)
    _, pool_size = pool_info(core)
    chk.eq(regions.get("pool"), pool_size,
           f"{tag}: the guest found the pool region (kind=pool, the core's pool size)")
    chk.ok(regions.get("priv", 0) > 0 and regions["priv"] & (regions["priv"] - 1) == 0,
           f"{tag}: the guest found its private region (kind=priv, a power of two)",
           f"regions on the console: {regions}")
    return vm


def check_down(chk, core, mgr, name, tag, how):
    """After QEMU died: the manager says down (how), the core reclaimed every buffer."""
    ok, vm = mgr.wait_vm(name, lambda v: v["state"] != "running" and
                         v["state"] != "starting", 15)
    chk.ok(ok and vm["state"] == "down" and vm.get("restart_in_ms") is not None,
           f"{tag}: netvmctl vm list shows {name} down, restart pending", f"last seen {vm}")
    chk.ok(how in (vm.get("last_down") or ""), f"{tag}: the reason names '{how}'",
           f"last_down: {vm.get('last_down')}")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    chk.ok(ok, f"{tag}: core telemetry nfs_attached back to 0",
           f"nfs_attached {st.get('nfs_attached')}")
    ok, st = core.tel.wait_for(lambda s: s.get("pool0_free") == s.get("pool0_total"), 15)
    chk.ok(ok, f"{tag}: pool0_free == pool0_total (every buffer reclaimed)",
           f"free {st.get('pool0_free')} of {st.get('pool0_total')}")


def lifecycle(env, chk, core, mgr, name, launcher):
    """The scenario both launchers go through; the manager is started by the caller."""
    chk.section("the VM attaches")
    vm = check_up(chk, core, mgr, name, "start")
    rc, nfs = mgr.netvmctl("nf", "list")
    owners = [n.get("vm") for n in nfs.get("nfs", [])] if isinstance(nfs, dict) else nfs
    chk.eq(owners, [name], "nf list: the one NF attached belongs to the VM")
    rc, text = mgr.netvmctl("vm", "list", json_out=False)
    chk.ok(rc == 0 and re.search(rf"^{name}\s+running\s", text, re.M) is not None,
           "netvmctl vm list (table) shows the VM running", text)
    rc, text = mgr.netvmctl("stats", json_out=False)
    chk.ok(rc == 0 and "pools:" in text and "no_rule" in text,
           "netvmctl stats shows the pool table and the drop reasons", text[-400:])
    chk.ok(refused_second_peer(os.path.join(mgr.state_dir, f"{name}.sock")),
           "a second peer on the VM's chardev socket is refused (closed, no greeting)")
    chk.eq(mgr.vm(name).get("state"), "running", "the VM still runs after the refused peer")

    chk.section("kill -9 QEMU: down, buffers reclaimed, restarted (restart = on-failure)")
    pid = vm.get("pid")
    if not chk.ok(isinstance(pid, int) and pid_alive(pid), "vm list gives QEMU's live pid",
                  f"pid {pid}"):
        return
    os.kill(pid, 9)
    check_down(chk, core, mgr, name, "kill -9", "signal 9" if launcher == "qemu"
               else "crashed")
    vm2 = check_up(chk, core, mgr, name, "restart")
    chk.ok(vm2.get("pid") not in (None, pid), "restart: a new QEMU",
           f"pid {vm2.get('pid')}, killed {pid}")
    chk.eq(vm2.get("restarts"), 1, "restart: vm list counts one restart")

    chk.section("kill -9 the manager: the core keeps the VM's lease, a new manager adopts it")
    old, nf_id = vm2.get("pid"), vm2.get("nf_id")
    mgr.kill()
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_orphaned") == 1, 5)
    chk.ok(ok and st.get("nfs_attached") == 1 and st.get(f"nf{nf_id}_live") == 1,
           f"the manager's death orphans the lease: nf{nf_id} stays attached and live",
           f"orphaned {st.get(f'nf{nf_id}_orphaned')}, nfs_attached {st.get('nfs_attached')}")
    chk.ok(pid_alive(old), "QEMU runs on without its manager", f"pid {old}")
    err = mgr.start_ready()
    if not chk.ok(err is None, "the manager starts again", err or ""):
        return
    vm3 = check_up(chk, core, mgr, name, "adopted")
    chk.ok(vm3.get("pid") == old and vm3.get("nf_id") == nf_id and vm3.get("adopted") is True,
           "vm list: the same QEMU and core instance, adopted",
           f"pid {vm3.get('pid')} (was {old}), nf_id {vm3.get('nf_id')} (was {nf_id}), "
           f"adopted {vm3.get('adopted')}")
    chk.eq(core.stats().get(f"nf{nf_id}_orphaned"), 0, "the core's lease is held again")
    chk.ok("adopted QEMU" in mgr.stdout(), "the manager says it adopted the QEMU", mgr.tail())

    chk.section(f"kill -9 the manager for longer than core.lease_s ({LEASE_S} s): the core "
                "detaches the VM, the next manager replaces its QEMU")
    mgr.kill()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0 and
                               s.get("pool0_free") == s.get("pool0_total"), LEASE_S + 5)
    chk.ok(ok, "past the lease the core detaches the VM and takes every buffer back",
           f"nfs_attached {st.get('nfs_attached')}, free {st.get('pool0_free')} of "
           f"{st.get('pool0_total')}")
    err = mgr.start_ready()
    if not chk.ok(err is None, "the manager starts again", err or ""):
        return
    vm3 = check_up(chk, core, mgr, name, "manager restart")
    deadline = time.monotonic() + 10
    while pid_alive(old) and time.monotonic() < deadline:
        time.sleep(0.1)
    chk.ok(not pid_alive(old), "the QEMU whose lease expired is stopped", f"pid {old}")
    chk.ok(vm3.get("pid") not in (None, old) and vm3.get("adopted") is False,
           "the VM runs in a new QEMU", f"pid {vm3.get('pid')}, old {old}")
    chk.ok("cannot be adopted" in mgr.stdout(),
           "the manager says why it replaced the QEMU left running", mgr.tail())

    chk.section("netvmctl vm stop / vm start")
    rc, out = mgr.netvmctl("vm", "stop", name, json_out=False)
    chk.ok(rc == 0 and out.strip() == f"vm {name} stopped",
           "vm stop succeeds: exit 0, 'vm NAME stopped'", out)
    chk.eq(mgr.vm(name).get("state"), "stopped", "vm list shows the VM stopped")
    chk.ok(not pid_alive(vm3.get("pid")), "QEMU is gone after vm stop")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0 and
                               s.get("pool0_free") == s.get("pool0_total"), 15)
    chk.ok(ok, "after vm stop: no NF attached, every buffer free", str(st.get("pool0_free")))
    time.sleep(1)
    chk.eq(mgr.vm(name).get("state"), "stopped", "a stopped VM is not restarted")
    rc, out = mgr.netvmctl("vm", "stop", "no-such-vm")
    chk.ok(rc == 1 and out.get("ok") is False and "no-such-vm" in out.get("error", ""),
           "vm stop of an unknown VM fails, naming it", str(out))
    rc, out = mgr.netvmctl("vm", "start", name, json_out=False)
    chk.ok(rc == 0 and out.strip() == f"vm {name} started",
           "vm start succeeds: exit 0, 'vm NAME started'", out)
    check_up(chk, core, mgr, name, "vm start")

    chk.section("SIGTERM: the manager stops its VMs and exits")
    last = mgr.vm(name).get("pid")
    rc = mgr.stop(15, 30)
    chk.eq(rc, 0, "netvm-manager exits with status 0 on SIGTERM")
    chk.ok(last is not None and not pid_alive(last), "its QEMU is gone", f"pid {last}")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    chk.ok(ok, "no NF left attached to the core", str(st.get("nfs_attached")))
    chk.ok(not os.path.exists(mgr.sock), "the control socket is removed")
