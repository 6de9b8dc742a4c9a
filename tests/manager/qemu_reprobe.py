#!/usr/bin/env python3
"""qemu_reprobe: a QEMU binary replaced while the manager runs is asked again.

No guest boots: manager.qemu is bin/qemu, manager_state's stand-in, whose
answer to the `-device ivshmem-plain,help` probe is either nothing (a stock
QEMU) or a line listing x-shared-no-migrate (NetVM's patched QEMU); each
probe is logged to bin/probes. v1 has restart = "never"; after each step it
is stopped and started with `netvmctl vm stop/start`, and its QEMU's
arguments are read:

  stock      v1 starts without x-shared-no-migrate; one probe
  again      with the binary unchanged, a second start asks no more
  patched    bin/qemu replaced (a new file renamed over it, as an install
             does) by the patched stand-in: the next start probes and its
             ivshmem devices carry x-shared-no-migrate=on, with no restart
             of the manager
  in place   bin/qemu rewritten in place (the same inode) as the stock one,
             its modification time moved on: probed again, no property
  PATH       a second manager whose manager.qemu is a bare name found in
             PATH: a binary put in a directory earlier in PATH is asked
  stop       SIGTERM: each manager exits 0

Needs root and hugepages (a core engine for the VMs' leases).
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import mgrtest  # noqa: E402
from manager_state import CORE_CONFIG, FAKE_QEMU, Manager, cmdline, kill_fakes  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402

PROPERTY = "x-shared-no-migrate"
STOCK_PROBE = 'if any(a.endswith(",help") for a in args):\n    sys.exit(0)\n'
assert STOCK_PROBE in FAKE_QEMU


def stand_in(bindir, patched):
    """manager_state's stand-in, its probe logged to @bindir/probes and, when
    @patched, answered as the patched QEMU answers it."""
    answer = f'    print("  {PROPERTY}=<bool>     - on/off (default: false)")\n' if patched else ""
    probe = ('if any(a.endswith(",help") for a in args):\n'
             f'    with open("{bindir}/probes", "a") as f:\n'
             '        f.write("probe\\n")\n'
             f'{answer}'
             '    sys.exit(0)\n')
    return FAKE_QEMU.replace(STOCK_PROBE, probe)


def probes(bindir):
    try:
        with open(os.path.join(bindir, "probes")) as f:
            return len(f.read().splitlines())
    except OSError:
        return 0


def conf_text(core, state, qemu, sock):
    return (f'manager = {{ socket = "{sock}"; state_dir = "{state}"; qemu = "{qemu}";\n'
            '  accel = "tcg"; connect_timeout_s = 600; boot_timeout_s = 600; };\n'
            f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n'
            f'vms = ( {{ name = "v1"; role = {mgrtest.ROLE}; kernel = "vmlinux"; '
            'launcher = "qemu"; restart = "never"; } );\n')


def restart_v1(chk, mgr, what):
    """vm stop and vm start of v1; its QEMU's arguments, joined."""
    rc, out = mgr.netvmctl("vm", "stop", "v1")
    ok, vm = mgr.wait_vm("v1", lambda v: v.get("state") == "stopped", 15)
    chk.ok(rc == 0 and ok, f"{what}: vm stop v1", f"rc {rc} {out} {vm}" + mgr.tail())
    rc, out = mgr.netvmctl("vm", "start", "v1")
    return started(chk, mgr, what, rc == 0, f"rc {rc} {out}")


def started(chk, mgr, what, ok=True, why=""):
    """v1's QEMU's arguments once it runs, joined."""
    up, vm = mgr.wait_vm("v1", lambda v: v.get("pid") is not None, 15)
    args = " ".join(cmdline(vm.get("pid"))) if up else ""
    chk.ok(ok and up and "ivshmem-plain" in args, f"{what}: v1's QEMU runs",
           f"{why} {vm} {args}" + mgr.tail())
    return args


def write(path, text, replace):
    """@text into @path: a new file renamed over it (@replace) or in place."""
    if replace:
        with open(path + ".new", "w") as f:
            f.write(text)
        os.chmod(path + ".new", 0o755)
        os.rename(path + ".new", path)
        return
    st = os.stat(path)
    with open(path, "r+") as f:
        f.write(text)
        f.truncate()
    # a modification time that surely differs, whatever the clock's grain
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10**9))


def main():
    env = nvenv.setup("qemu_reprobe", 120, __doc__)
    chk = check.Checker("qemu_reprobe")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    bindir = env.path("bin")
    qemu = os.path.join(bindir, "qemu")
    os.mkdir(bindir)
    write(qemu, stand_in(bindir, False), True)
    env.add_cleanup(lambda: kill_fakes(qemu))
    with open(env.path("vmlinux"), "w") as f:
        f.write("not a kernel: the stand-in QEMU never reads it\n")
    core = Core(env, "qp", CORE_CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)
    conf = env.path("m.conf")
    with open(conf, "w") as f:
        f.write(conf_text(core, env.path("st"), qemu, env.path("manager.sock")))
    mgr = Manager(env, conf, env.path("st"), env.path("manager.sock"))
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)

    chk.section("stock: the stand-in lists no property")
    args = started(chk, mgr, "stock")
    chk.ok(PROPERTY not in args, f"stock: v1's QEMU without {PROPERTY}", args)
    chk.eq(probes(bindir), 1, "stock: the binary was probed once")

    chk.section("again: the same binary is not asked twice")
    args = restart_v1(chk, mgr, "again")
    chk.ok(PROPERTY not in args, f"again: without {PROPERTY}", args)
    chk.eq(probes(bindir), 1, "again: no second probe")

    chk.section("patched: a new binary renamed over manager.qemu")
    write(qemu, stand_in(bindir, True), True)
    args = restart_v1(chk, mgr, "patched")
    chk.eq(args.count(f"{PROPERTY}=on"), 2,
           f"patched: both ivshmem devices carry {PROPERTY}=on (no manager restart)")
    chk.eq(probes(bindir), 2, "patched: probed again")

    chk.section("in place: the file rewritten, the same inode")
    write(qemu, stand_in(bindir, False), False)
    args = restart_v1(chk, mgr, "in place")
    chk.ok(PROPERTY not in args, f"in place: without {PROPERTY} again", args)
    chk.eq(probes(bindir), 3, "in place: probed again")
    chk.eq(mgr.stop(signal.SIGTERM, 30), 0, "SIGTERM: the manager exits 0")

    chk.section("PATH: manager.qemu a bare name")
    early = env.path("early")
    os.mkdir(early)
    conf2 = env.path("m2.conf")
    with open(conf2, "w") as f:
        f.write(conf_text(core, env.path("st2"), "qemu", env.path("manager2.sock")))
    os.environ["PATH"] = f"{early}:{bindir}:" + os.environ.get("PATH", "/usr/bin:/bin")
    mgr2 = Manager(env, conf2, env.path("st2"), env.path("manager2.sock"))
    err = mgr2.start_ready()
    if err:
        chk.fatal("a second netvm-manager starts", err)
    args = started(chk, mgr2, "PATH")
    chk.ok(PROPERTY not in args, f"PATH: the stock stand-in in {bindir}: no property", args)
    write(os.path.join(early, "qemu"), stand_in(bindir, True), True)
    env.add_cleanup(lambda: kill_fakes(os.path.join(early, "qemu")))
    time.sleep(0.1)
    args = restart_v1(chk, mgr2, "PATH")
    chk.eq(args.count(f"{PROPERTY}=on"), 2,
           f"PATH: a patched stand-in put earlier in PATH is asked: {PROPERTY}=on")
    chk.eq(mgr2.stop(signal.SIGTERM, 30), 0, "SIGTERM: the second manager exits 0")
    env.done(chk)


if __name__ == "__main__":
    main()
