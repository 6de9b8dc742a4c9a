#!/usr/bin/env python3
"""disk_boot: a VM booted from scripts/build-guest.sh's disk image, its NF from fw_cfg.

  nvA-<pid> 10.0.1.2/24                               nvB-<pid> 10.0.2.2/24
        │ veth                                               │ veth
  host end = port 0 ─┐                          ┌─ port 1 = host end
   (net_af_packet)   └──────── core engine ─────┘   (net_af_packet)
                               │ rings (role 1)
                    VM started by netvm-manager with disk = "disk.img"
                    (SeaBIOS, syslinux, the guest kernel and initramfs):
                    netvm-l3fwd --transport uio -r 1 -- --mode lpm
                    --routes /etc/netvm/routes

The boot loader passes no netvm.run=: /init reads the NF command from QEMU's
firmware config (opt/netvm/run) and the route file from opt/netvm/file0,
which the manager writes from the VM's `files` key. The route file is padded
with comments beyond what the kernel command line could carry (2047 bytes).
For each launcher, qemu then libvirt:

  accel     the manager's configuration sets manager.accel to build-guest.sh's
            verdict (build/guest/accel): the manager says it, QEMU gets
            -accel <it> (qemu) or the domain type kvm/qemu (libvirt)
  boot      QEMU boots the disk (-drive / <disk>, no kernel given); the VM runs
            and the core has its instance for role 1
  fw_cfg    the guest console shows the command taken from fw_cfg, the route
            file written with its exact size, and l3fwd started
  ping      ping both ways passes through the VM; the core counts the VM's
            instance (nf<I>_rx)
  stop      SIGTERM to the manager: the VM is detached, every buffer is back,
            its fw_cfg file copy in the state directory removed

The libvirt round needs libvirtd (started when not running, as in
manager_libvirt.py); without it that round is reported as not run. Needs
root, hugepages, iproute2, ethtool, ping; exits 77 (skipped) when
scripts/build-guest.sh has not built disk.img.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import mgrtest  # noqa: E402
from manager_libvirt import DAEMONS, URI, stop_daemon, virsh  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import guest as nvguest  # noqa: E402
from traffic import ping_both  # noqa: E402

ROLE = 1
ROUTES_PATH = "/etc/netvm/routes"
ROUTES_MIN_BYTES = 3000  # more than the guest kernel's command line takes
BOOT_TIMEOUT = 90  # start to the NF running; TCG: about 12 s through SeaBIOS and syslinux

# 4095 buffers + the header slot = 4096 x 4 KiB = 16 MiB, a power of two;
# net_af_packet needs buffers above 2048 bytes.
CONFIG = f"""core = {{ pool_buffers = 4095; buffer_size = 4096; }};
roles = ( {{ id = {ROLE}; name = "vm-l3fwd"; }} );
rules = ( {{ in_port = 0; role = {ROLE}; }}, {{ in_port = 1; role = {ROLE}; }} );
default = {{ action = "drop"; }};
"""
NF = f"/bin/netvm-l3fwd --transport uio -r {ROLE} -- --mode lpm --routes {ROUTES_PATH}"


def libvirtd_ready(env):
    """Make virsh answer on URI, starting virtlogd/libvirtd as needed; None or why not."""
    if virsh("version")[0] == 0:
        return None
    for name, pidfile in DAEMONS:
        binary = nvenv.which(name)
        if binary is None:
            return f"{name} is not installed (apt-get install libvirt-daemon-system)"
        if subprocess.run(["pgrep", "-x", name], capture_output=True).returncode == 0:
            continue
        res = subprocess.run([binary, "-d"], capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            return f"{name} -d failed: {res.stderr.strip()}"
        env.add_cleanup(lambda p=pidfile: stop_daemon(p))
        print(f"  started {name}", flush=True)
    deadline = time.monotonic() + 20
    out = ""
    while time.monotonic() < deadline:
        rc, out = virsh("version")
        if rc == 0:
            return None
        time.sleep(0.5)
    return f"libvirtd does not answer on {URI}: {out.strip()}"


def write_routes(path, a, b):
    """The l3fwd route file, padded with comments past the kernel command line's size."""
    text = f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n"
    line = "# padding: this file travels through QEMU's firmware config, not the cmdline\n"
    while len(text) < ROUTES_MIN_BYTES:
        text += line
    with open(path, "w") as f:
        f.write(text)
    return len(text)


def vm_config(name, disk, routes, launcher):
    """The one VM: booted from the disk image, l3fwd over UIO, its route file."""
    return (f'  {{ name = "{name}"; role = {ROLE}; queues = 1; vcpus = 1; memory = 256;\n'
            f'    disk = "{disk}";\n'
            f'    files = [ "{ROUTES_PATH}:{routes}" ];\n'
            f'    nf = "{NF}"; launcher = "{launcher}"; restart = "never"; }}')


def read_text(path):
    """The text of @path, "" when unreadable."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wait_console(path, needle, timeout):
    """Wait until the guest console at @path contains @needle; the console text."""
    deadline = time.monotonic() + timeout
    while True:
        text = read_text(path)
        if needle in text or time.monotonic() >= deadline:
            return text
        time.sleep(0.2)


def qemu_argv(pid):
    """QEMU's command line (list), [] when the process is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [w.decode(errors="replace") for w in f.read().split(b"\0") if w]
    except OSError:
        return []


def check_accel(chk, mgr, name, vm, launcher, accel):
    """QEMU runs with the accelerator of manager.accel (@accel, build-guest.sh's
    verdict): the manager says so, QEMU's argv (qemu) or the domain XML has it."""
    chk.ok(f'guests run under {accel.upper()} (manager.accel = "{accel}")' in mgr.stdout(),
           f"{launcher}: the manager says guests run under {accel.upper()}", mgr.tail())
    if launcher == "qemu":
        argv = qemu_argv(vm.get("pid"))
        at = argv.index("-accel") if "-accel" in argv else -1
        chk.ok(at >= 0 and argv[at + 1:at + 2] == [accel],
               f"qemu: QEMU's command line has -accel {accel}", " ".join(argv))
    else:
        xml = read_text(os.path.join(mgr.state_dir, f"{name}.xml"))
        dom = "kvm" if accel == "kvm" else "qemu"
        chk.ok(f"<domain type='{dom}'" in xml, f"libvirt: the domain's type is '{dom}'",
               xml[:200])


def check_booted_from_disk(chk, mgr, name, vm, disk, launcher):
    """QEMU was given the disk and no kernel: by its argv (qemu) or the domain XML."""
    if launcher == "qemu":
        argv = qemu_argv(vm.get("pid"))
        drive = [w for w in argv if w.startswith(f"file={disk},")]
        chk.ok(len(drive) == 1 and "-kernel" not in argv,
               "qemu: QEMU's command line has -drive file=<disk.img> and no -kernel",
               " ".join(argv))
        chk.ok(any(w.startswith("name=opt/netvm/run,") for w in argv) and
               any(w.startswith("name=opt/netvm/file0,") for w in argv),
               "qemu: QEMU's command line has fw_cfg opt/netvm/run and opt/netvm/file0",
               " ".join(argv))
    else:
        xml = read_text(os.path.join(mgr.state_dir, f"{name}.xml"))
        chk.ok(f"<source file='{disk}'/>" in xml and "<kernel>" not in xml,
               "libvirt: the domain XML has the disk and no <kernel>", xml[-600:])
        chk.ok("name=opt/netvm/run," in xml and "name=opt/netvm/file0," in xml,
               "libvirt: the domain XML passes fw_cfg opt/netvm/run and opt/netvm/file0",
               xml[-600:])


def pool_whole(st):
    """No NF attached and every buffer free."""
    return (st.get("nfs_attached") == 0 and "pool0_total" in st and
            st.get("pool0_free") == st["pool0_total"])


def run_launcher(env, chk, core, a, b, disk, routes, routes_len, launcher):
    """One round: the manager boots the disk through @launcher; ping; stop."""
    tag = launcher
    name = f"dk{launcher[:2]}{os.getpid()}"
    if launcher == "libvirt":
        env.add_cleanup(lambda: (virsh("destroy", f"netvm-{name}"),
                                 virsh("undefine", f"netvm-{name}")))
    chk.section(f"{tag}: boot from {os.path.basename(disk)}")
    mgr = mgrtest.Manager(env, core, [vm_config(name, disk, routes, launcher)],
                          name=f"manager-{launcher}")
    err = mgr.start_ready()
    if not chk.ok(err is None, f"{tag}: netvm-manager starts", err or ""):
        return
    start = time.monotonic()
    # checked while it boots: with the wrong accelerator it may never run
    ok, vm = mgr.wait_vm(name, lambda v: v.get("pid") is not None, 30)
    if chk.ok(ok, f"{tag}: QEMU started (vm list gives its pid)", f"last seen {vm}"):
        check_accel(chk, mgr, name, vm, launcher,
                    nvguest.accel(nvguest.guest_dir(env.source_dir)))
    ok, vm = mgr.wait_vm(name, lambda v: v["state"] == "running", BOOT_TIMEOUT)
    if not chk.ok(ok, f"{tag}: netvmctl vm list shows {name} running", f"last seen {vm}"
                  + mgr.tail()):
        mgr.stop(15, 30)
        return
    print(f"  ({tag}: running {time.monotonic() - start:.1f} s after the manager started)",
          flush=True)
    key = f"nf{vm.get('nf_id')}_role"
    ok, st = core.tel.wait_for(lambda s: s.get(key) == ROLE and s.get("nfs_attached") == 1,
                               10)
    chk.ok(ok, f"{tag}: the core has the VM's instance {vm.get('nf_id')} as role {ROLE}, "
           "the only NF attached", f"{key}={st.get(key)} nfs_attached={st.get('nfs_attached')}")
    check_booted_from_disk(chk, mgr, name, vm, disk, launcher)

    chk.section(f"{tag}: the guest's /init took the NF and its file from fw_cfg")
    console_path = os.path.join(mgr.state_dir, f"{name}.console")
    console = wait_console(console_path, "netvm-init: running:", 30)
    chk.ok("netvm-init: command from fw_cfg opt/netvm/run" in console,
           f"{tag}: console: the command came from fw_cfg opt/netvm/run", console[-600:])
    chk.ok(f"netvm-init: wrote {ROUTES_PATH} ({routes_len} bytes)" in console,
           f"{tag}: console: {ROUTES_PATH} written from fw_cfg, all {routes_len} bytes",
           console[-600:])
    chk.ok(f"netvm-init: running: {NF}" in console, f"{tag}: console: l3fwd started",
           console[-600:])

    chk.section(f"{tag}: ping through the disk-booted VM")
    ping_both(chk, core, vm, a, b, tag)

    chk.section(f"{tag}: stop")
    fw_file = os.path.join(mgr.state_dir, f"{name}.file0")
    chk.ok(os.path.isfile(fw_file), f"{tag}: while the VM runs, {name}.file0 (fw_cfg) is there")
    chk.eq(mgr.stop(15, 30), 0, f"{tag}: netvm-manager exits 0 on SIGTERM")
    chk.ok(not os.path.exists(fw_file), f"{tag}: the VM stopped, {name}.file0 is removed")
    ok, st = core.tel.wait_for(pool_whole, 10)
    chk.ok(ok, f"{tag}: the VM is detached and every buffer is back",
           f"nfs_attached={st.get('nfs_attached')} pool0_free={st.get('pool0_free')} "
           f"of {st.get('pool0_total')}")


def main():
    """Run both rounds; exit 0 when every check passed."""
    env = nvenv.setup("disk_boot", 280, __doc__)
    chk = check.Checker("disk_boot")
    disk, = mgrtest.guest_image(env, ("disk.img",))
    # Under libvirt QEMU runs as libvirt-qemu: it must reach the sockets and the
    # fw_cfg files in the manager's state directory inside the work directory.
    os.chmod(env.workdir, 0o711)

    chk.section("namespaces and core")
    a, b, core = mgrtest.net_core(env, chk, "dk", CONFIG)
    routes = env.path("routes")
    routes_len = write_routes(routes, a, b)

    run_launcher(env, chk, core, a, b, disk, routes, routes_len, "qemu")
    why = libvirtd_ready(env)
    if why is None:
        run_launcher(env, chk, core, a, b, disk, routes, routes_len, "libvirt")
    else:
        print(f"-- libvirt: not run: {why}", flush=True)

    chk.section("shutdown")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
