#!/usr/bin/env python3
"""manager_libvirt: the same scenario as manager_qemu with launcher = "libvirt".

libvirtd runs QEMU (as libvirt-qemu:kvm) from the domain XML the manager
defines: the private region as libvirt's <shmem> ivshmem-doorbell served on
the manager's chardev socket, the pool as <qemu:commandline> arguments. The
test starts virtlogd and libvirtd when they are not running (there is no
systemd here) and stops those it started; it is skipped (77) only when
libvirtd is not installed or cannot be made to answer on qemu:///system.
Checks: see manager_qemu.py (start, kill -9 QEMU, manager restart, stop/start,
SIGTERM); a QEMU killed under libvirt is reported as "crashed". Then a VM that
left the configuration: a manager with one libvirt VM is killed (kill -9), a new
one starts on the same state directory with no VM in its configuration: the
VM's domain is destroyed and undefined, its core lease ended (the core's
leases last longer than the test waits), its files removed; two domains whose
names match records left in the state directory but that are not marked as
that state directory's VM's (one defined by hand, one marked as another state
directory's; both defined, not started) are left alone. First, without a guest (run
even when the guest image is missing, which skips the rest): a configured VM whose
domain name is taken by a running domain defined by hand (no mark) at the manager's
start: the domain is neither adopted nor stopped, the manager logs it and what to do,
the VM's start is refused with that reason, nothing is defined, and the domain still
runs after the manager exits.
"""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Proc  # noqa: E402

URI = "qemu:///system"
# the namespace of the mark the libvirt launcher puts in a domain's <metadata>
MARK_NS = "urn:netvm:manager"
# core.lease_s of the last case: longer than it waits, so only the manager ends the lease
LONG_LEASE_S = 120
DAEMONS = (("virtlogd", "/run/virtlogd.pid"), ("libvirtd", "/run/libvirtd.pid"))


def virsh(*args):
    """Run virsh on URI; (exit status, output)."""
    try:
        res = subprocess.run(["virsh", "-c", URI] + list(args), capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    return res.returncode, res.stdout + res.stderr


def skip(env, why):
    """Exit 77 with @why."""
    print(f"manager_libvirt: skipped: {why}", flush=True)
    env.failed = False
    sys.exit(mgrtest.SKIP)


def stop_daemon(pidfile):
    """SIGTERM the daemon whose pid is in @pidfile (one this test started) and wait
    up to 30 s for it to exit, so that the next test does not find it going away."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + 30
    while mgrtest.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def daemon_running(name):
    """Whether a live process (not a zombie) has the command name @name.

    A daemon that forked into the background has pid 1 as its parent; where
    pid 1 does not reap (a container's shell), the ones stopped earlier stay as
    zombies, which pgrep would still count as running."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != name:
                    continue
        except OSError:
            continue
        if mgrtest.pid_alive(int(pid)):
            return True
    return False


def ensure_libvirtd(env):
    """Make virsh answer on URI, starting virtlogd/libvirtd as needed, or skip."""
    if virsh("version")[0] == 0:
        return
    for name, pidfile in DAEMONS:
        binary = nvenv.which(name)
        if binary is None:
            skip(env, f"{name} is not installed (apt-get install libvirt-daemon-system)")
        if daemon_running(name):
            continue
        res = subprocess.run([binary, "-d"], capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            skip(env, f"{name} -d failed: {res.stderr.strip()}")
        env.add_cleanup(lambda p=pidfile: stop_daemon(p))
        print(f"  started {name}", flush=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rc, out = virsh("version")
        if rc == 0:
            return
        time.sleep(0.5)
    skip(env, f"libvirtd does not answer on {URI}: {out.strip()}")


def define_unmarked(env, chk, state_dir, other, mark_dir):
    """Define domain netvm-@other (not started), marked as VM @other's of state directory
    @mark_dir, or not marked when @mark_dir is None, and leave a record of VM @other in
    @state_dir as the libvirt launcher does (@other.xml)."""
    mark = ("" if mark_dir is None else
            f"<metadata><netvm:owner xmlns:netvm='{MARK_NS}' state_dir='{mark_dir}' "
            f"vm='{other}'/></metadata>")
    xml = env.path(f"{other}-domain.xml")
    with open(xml, "w") as f:
        f.write(f"<domain type='qemu'><name>netvm-{other}</name>{mark}"
                "<memory unit='MiB'>32</memory>"
                "<os><type arch='x86_64'>hvm</type></os></domain>\n")
    env.add_cleanup(lambda: virsh("undefine", f"netvm-{other}"))
    rc, out = virsh("define", xml)
    if rc != 0:
        chk.fatal(f"virsh define netvm-{other}", out)
    with open(os.path.join(state_dir, f"{other}.xml"), "w") as f:
        f.write(f"<domain><name>netvm-{other}</name></domain>\n")


class ConfManager(mgrtest.Manager):
    """netvm-manager with one VM that does not boot (accel "tcg": no guest image to ask)."""

    def __init__(self, env, core, vm):
        self.state_dir, self.sock = env.path("foreign-vms"), env.path("foreign.sock")
        self.conf = env.path("foreign.conf")
        env.add_cleanup(self.kill_qemus)
        with open(self.conf, "w") as f:
            f.write(f'manager = {{ socket = "{self.sock}"; state_dir = "{self.state_dir}";'
                    f' accel = "tcg"; {mgrtest.MANAGER_EXTRA} }};\n'
                    f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n'
                    f"vms = (\n{vm}\n);\n")
        self.ctl = env.binary(mgrtest.NETVMCTL_BIN)
        Proc.__init__(self, env, "foreign", [env.binary(mgrtest.MANAGER_BIN), "-c", self.conf])


def foreign_domain(env, chk):
    """A configured VM whose domain name is taken by a running domain not marked as its:
    neither adopted nor stopped at the manager's start, and its start is refused."""
    chk.section("a configured VM's domain name taken by a domain not marked as its")
    name = f"fd{os.getpid()}"
    xml = env.path(f"{name}-domain.xml")
    with open(xml, "w") as f:
        f.write(f"<domain type='qemu'><name>netvm-{name}</name>"
                "<memory unit='MiB'>32</memory>"
                "<os><type arch='x86_64'>hvm</type></os></domain>\n")
    env.add_cleanup(lambda: (virsh("destroy", f"netvm-{name}"),
                             virsh("undefine", f"netvm-{name}")))
    for what in (("define", xml), ("start", f"netvm-{name}")):
        rc, out = virsh(*what)
        if rc != 0:
            chk.fatal(f"virsh {what[0]} netvm-{name} (by hand, no mark)", out)
    core = Core(env, "mf", mgrtest.CORE_CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)
    # never booted: the start is refused before libvirt is asked to define anything
    kernel = env.path("not-a-kernel")
    with open(kernel, "w") as f:
        f.write("never booted\n")
    mgr = ConfManager(env, core, mgrtest.vm_config(name, kernel, kernel, "libvirt"))
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    mark_dir = os.path.realpath(mgr.state_dir)
    foreign = (f"libvirt domain netvm-{name} is not marked as this VM's of state directory "
               f"{mark_dir} (")
    ok, vm = mgr.wait_vm(name, lambda v: foreign in (v.get("error") or ""), 20)
    chk.ok(ok, f"vm list: the start of {name} is refused, naming the domain and the state "
           "directory", f"last seen {vm}")
    log = mgr.stdout()
    chk.ok(f"vm {name}: not adopted: {foreign}" in log and
           f"virsh undefine netvm-{name}" in log,
           "the manager logs that it did not adopt the domain, and what to do", mgr.tail())
    rc, out = virsh("domstate", f"netvm-{name}")
    chk.ok(rc == 0 and "running" in out, f"domain netvm-{name} still runs (not stopped)", out)
    chk.ok(not os.path.exists(os.path.join(mgr.state_dir, f"{name}.xml")),
           f"no {name}.xml in the state directory (nothing was defined for the VM)")
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    rc, out = virsh("domstate", f"netvm-{name}")
    chk.ok(rc == 0 and "running" in out, f"domain netvm-{name} still runs after it", out)
    core.stop_checked(chk)


def left_configuration(env, chk, kernel, initrd, name):
    """A manager restarted without its libvirt VM stops it; leaves other domains alone."""
    chk.section("a manager restarted without the libvirt VM: its domain, lease and files go")
    core = Core(env, "ml", mgrtest.CORE_CONFIG.replace(f"lease_s = {mgrtest.LEASE_S};",
                                                       f"lease_s = {LONG_LEASE_S};"),
                ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)
    mgr = mgrtest.Manager(env, core, [mgrtest.vm_config(name, kernel, initrd, "libvirt")],
                          mgrtest.MANAGER_EXTRA, name="gone")
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    vm = mgrtest.check_up(chk, core, mgr, name, "before the restart")
    pid, nf_id = vm.get("pid"), vm.get("nf_id")
    mgr.kill()
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_orphaned") == 1, 5)
    chk.ok(ok and st.get("nfs_attached") == 1,
           f"the killed manager's lease is orphaned: the core keeps nf{nf_id}",
           f"orphaned {st.get(f'nf{nf_id}_orphaned')}, nfs_attached {st.get('nfs_attached')}")
    hand, other = f"hd{os.getpid()}", f"ot{os.getpid()}"
    define_unmarked(env, chk, mgr.state_dir, hand, None)
    define_unmarked(env, chk, mgr.state_dir, other, env.path("other-vms"))
    with open(mgr.conf) as f:
        text = f.read()
    with open(mgr.conf, "w") as f:
        f.write(text[:text.index("vms = (")] + "vms = ();\n")
    err = mgr.start_ready()
    if not chk.ok(err is None, "the manager starts again, with no VM configured", err or ""):
        return
    rc, out = virsh("list", "--all", "--name")
    chk.ok(rc == 0 and f"netvm-{name}" not in out.split(),
           f"virsh list --all: domain netvm-{name} is gone (destroyed and undefined)", out)
    chk.ok(not mgrtest.pid_alive(pid), "its QEMU is gone", f"pid {pid}")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0 and
                               s.get("pool0_free") == s.get("pool0_total"), 20)
    chk.ok(ok, f"its lease is ended (core.lease_s = {LONG_LEASE_S}): the core detached "
           "the VM and took every buffer back",
           f"nfs_attached {st.get('nfs_attached')}, free {st.get('pool0_free')} of "
           f"{st.get('pool0_total')}")
    left = sorted(f for f in os.listdir(mgr.state_dir) if f.startswith(f"{name}."))
    chk.eq(left, [], "its files in the state directory are removed")
    log = mgr.stdout()
    chk.ok(f"vm {name}: not configured any more; destroying and undefining libvirt domain "
           f"netvm-{name} (QEMU pid {pid}) left by a previous netvm-manager" in log,
           "the manager logs the domain it stopped", mgr.tail())
    for dom, how in ((hand, "defined by hand"), (other, "marked as another state directory's")):
        rc, out = virsh("domstate", f"netvm-{dom}")
        chk.ok(rc == 0 and "shut off" in out, f"domain netvm-{dom} ({how}) is left alone", out)
        chk.ok(os.path.exists(os.path.join(mgr.state_dir, f"{dom}.xml")),
               f"so is the record {dom}.xml in the state directory")
        chk.ok(f"vm {dom}: not configured any more; libvirt domain netvm-{dom} is not "
               "marked as this VM's" in log and f"virsh undefine netvm-{dom}" in log,
               f"the manager says it left netvm-{dom} alone and what to do", mgr.tail())
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    core.stop_checked(chk)


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("manager_libvirt", 280, __doc__)
    chk = check.Checker("manager_libvirt")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    ensure_libvirtd(env)
    # QEMU runs as libvirt-qemu: it must reach the chardev socket in the work directory.
    os.chmod(env.workdir, 0o711)
    foreign_domain(env, chk)
    if chk.failed:
        env.done(chk)
    kernel, initrd = mgrtest.guest_image(env)
    name = f"lv{os.getpid()}"
    env.add_cleanup(lambda: (virsh("destroy", f"netvm-{name}"),
                             virsh("undefine", f"netvm-{name}")))
    core = mgrtest.start_core(env, chk)
    mgr = mgrtest.Manager(env, core, [mgrtest.vm_config(name, kernel, initrd, "libvirt")],
                          mgrtest.MANAGER_EXTRA)
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    mgrtest.lifecycle(env, chk, core, mgr, name, "libvirt")
    rc, out = virsh("domstate", f"netvm-{name}")
    chk.ok(rc != 0, "the manager undefined its libvirt domain when it stopped", out)
    core.stop_checked(chk)
    left_configuration(env, chk, kernel, initrd, name)
    env.done(chk)


if __name__ == "__main__":
    main()
