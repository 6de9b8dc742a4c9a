#!/usr/bin/env python3
"""manager_libvirt: the same scenario as manager_qemu with launcher = "libvirt".

libvirtd runs QEMU (as libvirt-qemu:kvm) from the domain XML the manager
defines: the private region as libvirt's <shmem> ivshmem-doorbell served on
the manager's chardev socket, the pool as <qemu:commandline> arguments. The
test starts virtlogd and libvirtd when they are not running (there is no
systemd here) and stops those it started; it is skipped (77) only when
libvirtd is not installed or cannot be made to answer on qemu:///system.
Checks: see manager_qemu.py (start, kill -9 QEMU, manager restart, stop/start,
SIGTERM); a QEMU killed under libvirt is reported as "crashed".
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

URI = "qemu:///system"
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


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("manager_libvirt", 280, __doc__)
    chk = check.Checker("manager_libvirt")
    kernel, initrd = mgrtest.guest_image(env)
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    ensure_libvirtd(env)
    # QEMU runs as libvirt-qemu: it must reach the chardev socket in the work directory.
    os.chmod(env.workdir, 0o711)
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
    env.done(chk)


if __name__ == "__main__":
    main()
