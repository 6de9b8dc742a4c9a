#!/usr/bin/env python3
"""manager_state: relative paths, the state directory and a VM that left the configuration.

No guest boots: manager.qemu is a stand-in (a script that keeps QEMU's
command line, writes the console file, binds the QMP socket and sleeps), so
the VMs stay `starting`. The manager runs from / under umask 077, its
configuration in the work directory with relative paths:

  check      --check from /: a relative manager.qemu is taken from the
             configuration's directory (no warning for the stand-in; the
             warning for a missing one names the absolute path)
  start      three VMs v1, v2, v3 and two idle VMs: each QEMU is the stand-in of
             the configuration's directory, though the manager's cwd is /; an
             idle VM's pid is in <state_dir>/idle<N>.idle-pid (no idle<N>.pid)
  state dir  manager.state_dir (and its missing parent) created mode 0755
             whatever the umask; its name holds a comma (doubled in QEMU's
             options, as it is in -serial file:, which QEMU takes whole); an
             existing one writable by group or others (modes 1777, 0775) or
             owned by another user is refused before anything is put in it
  socket     a regular file at manager.socket is refused before anything is
             made, and left as it was (not deleted as a stale socket)
  control    a request line of more than 2047 bytes with its line break is refused
             whole ('vm stop v3' cut short would stop v3), as is one with a NUL
             byte after 'vm stop v3'; 'vm stop' with v3 on the next line is
             refused (the request is its first line), and 'vm migrate v3 URI'
             with a fifth word (no request); one of 2047 is served; a
             client that sends its line a byte at a time is closed after a second,
             and vm list answers meanwhile, and while 24 clients send nothing;
             a line that came while the loop was held up past the connection's
             second (the manager stopped) is answered;
             vm start and vm stop of a 40-character name no VM has are the
             manager's refusal (exit 1), not a usage error
  files      v2's `files` entry made a directory: vm start v2 is refused
             ("... (files of vm v2): Is a directory"), not booted with an empty
             file; a file again, v2 starts
  orphan     the manager killed (SIGKILL), started again with v1 only: v2's QEMU
             is stopped, its pidfile, socket, lease, log, console and QMP socket
             removed, the core has v1's instance only; this comes before v1's
             adoption in the log; v1.pid emptied, v3.pid holding another
             process's pid and idle0.idle-pid garbage: each QEMU is found by its
             socket (v1 adopted, its pidfile written again; v3's and idle0's
             stopped), the other process spared
  idle       the same restart, idle.count 2 -> 1: both idle VMs' QEMUs are
             stopped (a line each in the log), idle1's files removed, its NF's
             lease ended (v3's lease, put in idle1.idle-lease as a busy idle VM
             leaves it: the core has v1's instance only), the template file
             removed; an unrelated process whose pid is in idle7.idle-pid is not
             killed (its command line names no idle7.agent), the pidfile removed;
             idle0 runs in a fresh QEMU whose pid is in idle0.idle-pid
             the restart is under umask 000: idle0's agent and QMP sockets
             (its QEMU's) and the pidfiles are not writable by group or others
  stop       SIGTERM: the manager exits 0, the core has every buffer back

Needs root and hugepages.
"""

import os
import re
import json
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Proc  # noqa: E402

# A lease outlives the manager's restart: v1 is adopted, not replaced.
CORE_CONFIG = """
core = { pool_buffers = 4095; buffer_size = 2048; ring_size = 256; lease_s = 30; };
default = { action = "drop"; };
"""

FAKE_QEMU = """#!/usr/bin/python3
# Stands in for QEMU: answers the ivshmem-plain,help probe with nothing, writes
# the -serial file, binds the -qmp socket and server chardev sockets (an idle
# VM's agent), then sleeps with QEMU's argv.
# Options are read as QEMU does: ',' apart, ',,' a comma of a value; the
# path of -serial file: as it is.
import os, re, socket, sys, time
args = sys.argv[1:]
def listen(path):
    # as QEMU does, a stale socket file of an earlier run is replaced
    try:
        os.unlink(path)
    except OSError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    return s
if any(a.endswith(",help") for a in args):
    sys.exit(0)
def opts(val):
    return [o.replace("\\0", ",") for o in val.replace(",,", "\\0").split(",")]
socks = []
for opt, val in zip(args, args[1:]):
    if opt == "-chardev" and val.startswith("socket,") and "server=on" in val:
        path = [o[5:] for o in opts(val) if o.startswith("path=")][0]
        socks.append(listen(path))
    if opt == "-serial" and val.startswith("file:"):
        with open(val[5:], "w") as f:
            f.write("stand-in console\\n")
    if opt == "-qmp" and val.startswith("unix:"):
        socks.append(listen(opts(val[5:])[0]))
time.sleep(600)
"""


class Manager(mgrtest.Manager):
    """netvm-manager started from / under umask 077 on configuration @conf."""

    def __init__(self, env, conf, state_dir, sock):
        self.state_dir, self.sock, self.conf = state_dir, sock, conf
        self.ctl = env.binary(mgrtest.NETVMCTL_BIN)
        argv = ["/bin/sh", "-c", 'umask 077 && cd / && exec "$0" -c "$1"',
                env.binary(mgrtest.MANAGER_BIN), conf]
        Proc.__init__(self, env, "manager", argv)


def write_conf(path, core, vms, qemu="bin/fakeqemu", idle=0, files=None):
    """A configuration with relative paths naming VMs @vms and @idle idle VMs (the
    stand-in stays booting), each VM's `files` in @files; its path."""
    files = files or {}
    with open(path, "w") as f:
        f.write(f'manager = {{ socket = "manager.sock"; state_dir = "st/v,ms"; qemu = "{qemu}";\n'
                '  accel = "tcg"; connect_timeout_s = 600; boot_timeout_s = 600; };\n')
        if idle:
            f.write(f'idle = {{ count = {idle}; kernel = "vmlinux"; }};\n')
        f.write(f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n')
        f.write("vms = (\n" + ",\n".join(
            f'  {{ name = "{n}"; role = {mgrtest.ROLE}; kernel = "vmlinux"; '
            'launcher = "qemu"; restart = "never";'
            + (f' files = [ "{files[n]}" ];' if n in files else "") + " }"
            for n in vms) + "\n);\n")
    return path


def qemu_esc(path):
    """@path as a value in QEMU's option syntax (a comma doubled)."""
    return path.replace(",", ",,")


def cmdline(pid):
    """The arguments of process @pid, [] when it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def kill_fakes(fake):
    """SIGKILL every process running the stand-in @fake (cleanup)."""
    for d in os.listdir("/proc"):
        if d.isdigit() and fake in cmdline(int(d))[:2]:
            try:
                os.kill(int(d), signal.SIGKILL)
            except OSError:
                pass


def attached(st):
    """The instance ids the core's counters @st show attached."""
    return {int(k[2:-5]) for k in st if re.fullmatch(r"nf\d+_role", k)}


def idle_pids(mgr, names, timeout=15):
    """{name: pid} of idle VMs @names once each has a QEMU (None for those without)."""
    deadline = time.monotonic() + timeout
    while True:
        rc, out = mgr.netvmctl("idle", "list")
        vms = {v["name"]: v for v in out.get("idle", [])} if isinstance(out, dict) else {}
        pids = {n: vms.get(n, {}).get("pid") for n in names}
        if all(pids.values()) or time.monotonic() >= deadline:
            return pids
        time.sleep(0.1)


def mode(path):
    """Permission bits of @path, or None when it does not exist."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def raw_request(path, data, timeout=10):
    """Send @data on control socket @path (its write side then shut); the answer, and
    the error that ended it in place of the end of the stream."""
    out = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(path)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while True:
                b = s.recv(65536)
                if not b:
                    return out, None
                out += b
        except OSError as exc:
            return out, exc


def trickle(path, secs, result):
    """Send a request a byte every 0.3 s for @secs, never its line break; in
    @result whether the manager closed the connection meanwhile."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.settimeout(0.3)
        deadline = time.monotonic() + secs
        while time.monotonic() < deadline:
            try:
                s.send(b"v")
                if s.recv(1) == b"":
                    result["closed"] = True
                    return
            except socket.timeout:
                continue
            except OSError:
                result["closed"] = True
                return
        result["closed"] = False


def run_refused(mgr_bin, conf):
    """Start netvm-manager on @conf from /, expecting a refusal; (exit status, stderr).
    One that runs is stopped after 10 s as an operator would."""
    p = subprocess.Popen([mgr_bin, "-c", conf], cwd="/", text=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
    return p.returncode, err


def control_socket(env, chk, mgr):
    """The control socket's limits: a line of more than 2047 bytes with its line break
    is refused whole (cut short it would be another request), and a client has one
    second for its whole line."""
    # 'vm stop v3' and a fourth word past byte 2047: no request the manager has
    line = b"vm stop v3" + b" " * 3000 + b"x\n"
    ans, exc = raw_request(mgr.sock, line)
    try:
        ans = json.loads(ans)
    except ValueError:
        pass
    chk.ok(exc is None and isinstance(ans, dict) and ans.get("ok") is False and
           "longer than 2047 bytes" in ans.get("error", ""),
           "a 3013-byte request line is refused as too long", f"{ans!r:.300} {exc}")
    vm = mgr.vm("v3")
    chk.eq(vm.get("state"), "starting", "v3 is not stopped by the line cut short")
    ans, exc = raw_request(mgr.sock, b"vm stop v3\0 x\n")
    chk.ok(exc is None and b"NUL" in ans and b'"ok":false' in ans.replace(b" ", b""),
           "a request line with a NUL byte is refused", f"{ans[:200]!r} {exc}")
    chk.eq(mgr.vm("v3").get("state"), "starting", "v3 is not stopped by the line cut at its NUL")
    # the request is its first line: a name on the next line is not its word
    ans, exc = raw_request(mgr.sock, b"vm stop\nv3\n")
    chk.ok(exc is None and b"unknown request" in ans and b'"ok":false' in ans.replace(b" ", b""),
           "'vm stop' with v3 on a line of its own is refused", f"{ans[:200]!r} {exc}")
    chk.eq(mgr.vm("v3").get("state"), "starting", "v3 is not stopped by the name's line")
    # a word more than the request takes makes it no request (not one with its end cut off)
    ans, exc = raw_request(mgr.sock, b"vm migrate v3 unix:/nonexistent.sock extra\n")
    chk.ok(exc is None and b"unknown request" in ans,
           "'vm migrate v3 URI' with a word more is refused as no request", f"{ans[:200]!r} {exc}")
    line = b"vm list" + b" " * 2039 + b"\n"
    ans, exc = raw_request(mgr.sock, line)
    chk.ok(exc is None and b'"ok":true' in ans.replace(b" ", b""),
           "a 2047-byte request line is served", f"{ans[:200]!r} {exc}")
    result = {}
    t = threading.Thread(target=trickle, args=(mgr.sock, 8, result))
    t.start()
    time.sleep(0.5)
    r = subprocess.run([mgr.ctl, "-s", mgr.sock, "-t", "4", "--json", "vm", "list"],
                       capture_output=True, text=True, timeout=30)
    t.join()
    chk.ok(r.returncode == 0, "vm list answers while a client trickles its line a byte at "
           "a time", f"rc {r.returncode}: {r.stderr}")
    chk.ok(result.get("closed") is True, "the trickling client is closed (its line not "
           "whole within a second)", f"{result}")
    # a line that came while the loop was held up (here: the manager stopped) is
    # read before the connection's second runs out
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(mgr.sock)
        time.sleep(0.5)
        os.kill(mgr.pid, signal.SIGSTOP)
        try:
            # after its timer's tick: the loop sees the tick first, the line then
            time.sleep(1.3)
            s.sendall(b"vm list\n")
            time.sleep(0.3)
        finally:
            os.kill(mgr.pid, signal.SIGCONT)
        try:
            ans = s.recv(65536)
        except OSError as exc:
            ans = repr(exc).encode()
    chk.ok(b'"vms"' in ans, "a line sent while the manager's loop was held up for 1.6 s is "
           "answered", f"{ans[:200]!r}")
    long_name = "v" * 40
    for verb in ("start", "stop"):
        r = subprocess.run([mgr.ctl, "-s", mgr.sock, "vm", verb, long_name],
                           capture_output=True, text=True, timeout=30)
        chk.ok(r.returncode == 1 and f"no VM called '{long_name}'" in r.stderr,
               f"vm {verb} of a 40-character name no VM has: refused by the manager, exit 1",
               f"rc {r.returncode}: {r.stderr[:300]}")
    silent = []
    for _ in range(24):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(mgr.sock)
        except OSError:
            pass
        silent.append(s)
    r = subprocess.run([mgr.ctl, "-s", mgr.sock, "-t", "4", "--json", "vm", "list"],
                       capture_output=True, text=True, timeout=30)
    chk.ok(r.returncode == 0, "vm list answers while 24 clients are connected and send "
           "nothing", f"rc {r.returncode}: {r.stderr}")
    closed = 0
    for s in silent:
        s.settimeout(5)
        try:
            closed += s.recv(1) == b""
        except OSError:
            pass
        s.close()
    chk.eq(closed, len(silent), "every silent client is closed unanswered")


def main():
    env = nvenv.setup("manager_state", 170, __doc__)
    chk = check.Checker("manager_state")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    mgr_bin = env.binary(mgrtest.MANAGER_BIN)
    os.mkdir(env.path("bin"))
    fake = env.path("bin/fakeqemu")
    with open(fake, "w") as f:
        f.write(FAKE_QEMU)
    os.chmod(fake, 0o755)
    env.add_cleanup(lambda: kill_fakes(fake))
    with open(env.path("vmlinux"), "w") as f:
        f.write("not a kernel: the stand-in QEMU never reads it\n")
    core = Core(env, "ms", CORE_CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)

    chk.section("check: --check from / takes manager.qemu from the configuration's directory")
    with open(env.path("v2.data"), "w") as f:
        f.write("a file v2's guest gets on its kernel command line\n")
    conf = write_conf(env.path("m.conf"), core, ["v1", "v2", "v3"], idle=2,
                      files={"v2": "/etc/v2.data:v2.data"})
    r = subprocess.run([mgr_bin, "--check", "-c", conf], capture_output=True, text=True,
                       timeout=30, cwd="/")
    chk.ok(r.returncode == 0 and "configuration valid" in r.stdout and
           "warning" not in r.stderr,
           "qemu = \"bin/fakeqemu\": valid, no warning", f"rc {r.returncode}: {r.stderr}")
    missing = write_conf(env.path("miss.conf"), core, ["v1"], qemu="bin/nothere")
    r = subprocess.run([mgr_bin, "--check", "-c", missing], capture_output=True, text=True,
                       timeout=30, cwd="/")
    chk.ok(r.returncode == 0 and
           f"manager.qemu: '{env.path('bin/nothere')}' is not an executable file" in r.stderr,
           "qemu = \"bin/nothere\": the warning names the configuration's directory",
           f"rc {r.returncode}: {r.stderr}")

    chk.section("state dir: one that others may write to, or another user's, is refused")
    with open(conf) as f:
        text = f.read()
    os.mkdir(env.path("open"))
    for mode_, uid, why in ((0o1777, 0, "writable by group or others (mode 1777)"),
                            (0o775, 0, "writable by group or others (mode 0775)"),
                            (0o755, 65534, "owned by uid 65534, not by this manager's "
                             f"user (uid {os.geteuid()})")):
        os.chmod(env.path("open"), mode_)
        os.chown(env.path("open"), uid, -1)
        with open(env.path("open.conf"), "w") as f:
            f.write(text.replace('state_dir = "st/v,ms"', 'state_dir = "open"'))
        rc, err = run_refused(mgr_bin, env.path("open.conf"))
        chk.ok(rc == 1 and f"state directory {env.path('open')}: {why}" in err
               and os.listdir(env.path("open")) == [],
               f"state_dir mode {mode_:o}, uid {uid}: refused, nothing created in it",
               f"rc {rc}: {err[-600:]}")
    os.chown(env.path("open"), 0, -1)

    chk.section("control socket: a file that is no socket at manager.socket is left alone")
    with open(env.path("notsock"), "w") as f:
        f.write("keep me\n")
    with open(env.path("notsock.conf"), "w") as f:
        f.write(text.replace('socket = "manager.sock"', 'socket = "notsock"')
                .replace('state_dir = "st/v,ms"', 'state_dir = "st-notsock"'))
    rc, err = run_refused(mgr_bin, env.path("notsock.conf"))
    try:
        with open(env.path("notsock")) as f:
            kept = f.read()
    except OSError as exc:  # deleted, or replaced by the manager's socket
        kept = repr(exc)
    chk.ok(rc == 1 and f"{env.path('notsock')} exists and is no socket "
           "(a regular file): remove it, or give another manager.socket" in err
           and kept == "keep me\n" and not os.path.exists(env.path("st-notsock")),
           "manager.socket naming a regular file: refused before anything, the file kept",
           f"rc {rc}, file {kept!r}: {err[-600:]}")

    chk.section("start: each VM's QEMU is the stand-in, the manager's cwd /")
    mgr = Manager(env, conf, env.path("st/v,ms"), env.path("manager.sock"))
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts (from /, umask 077)", err)
    pids, nf_ids = {}, {}
    for name in ("v1", "v2", "v3"):
        ok, vm = mgr.wait_vm(name, lambda v: v.get("pid") is not None, 15)
        args = cmdline(vm.get("pid")) if ok else []
        chk.ok(ok and vm.get("state") == "starting" and fake in args[:2] and
               f"{qemu_esc(mgr.state_dir)}/{name}.sock" in " ".join(args),
               f"{name}: starting, its QEMU the stand-in {fake}", f"{vm} {args}" + mgr.tail())
        pids[name], nf_ids[name] = vm.get("pid"), vm.get("nf_id")
        files = [os.path.join(mgr.state_dir, f"{name}.{ext}") for ext in ("console", "qmp")]
        deadline = time.monotonic() + 10
        while not all(map(os.path.exists, files)) and time.monotonic() < deadline:
            time.sleep(0.1)
        chk.ok(all(map(os.path.exists, files)), f"{name}: the stand-in wrote its console "
               "and bound its QMP socket", str(files))
    idle_old = idle_pids(mgr, ("idle0", "idle1"))
    for name, pid in idle_old.items():
        args = " ".join(cmdline(pid)) if pid else ""
        chk.ok(fake in args and f"{qemu_esc(mgr.state_dir)}/{name}.agent" in args,
               f"{name}: booting, its QEMU the stand-in", f"pid {pid}: {args}" + mgr.tail())
        chk.eq(mgrtest.read_pid(os.path.join(mgr.state_dir, f"{name}.idle-pid")), pid,
               f"{name}: its pid is in {name}.idle-pid")
        chk.ok(not os.path.exists(os.path.join(mgr.state_dir, f"{name}.pid")),
               f"{name}: no {name}.pid (a name of the VMs' own)")

    chk.section("state dir: created mode 0755 under umask 077")
    for path, what in ((env.path("st"), "the missing parent st/"),
                       (mgr.state_dir, "the state directory st/v,ms")):
        m = mode(path)
        chk.ok(m == 0o755, f"{what} is mode 0755", "mode " + (oct(m) if m is not None
                                                               else "none: no directory"))

    chk.section("control: a request line too long, a client that trickles its line")
    control_socket(env, chk, mgr)

    chk.section("files: a VM's file that became a directory fails its start")
    data = env.path("v2.data")
    os.remove(data)
    os.mkdir(data)
    rc, _ = mgr.netvmctl("vm", "stop", "v2")
    r = subprocess.run([mgr.ctl, "-s", mgr.sock, "vm", "start", "v2"], capture_output=True,
                       text=True, timeout=30)
    chk.ok(rc == 0 and r.returncode == 1 and
           f"{data} (files of vm v2): Is a directory" in r.stderr,
           "vm start v2: refused, its file a directory (not read as an empty file)",
           f"rc {rc}, {r.returncode}: {r.stderr}{r.stdout}")
    os.rmdir(data)
    with open(data, "w") as f:
        f.write("a file v2's guest gets on its kernel command line\n")
    rc, _ = mgr.netvmctl("vm", "start", "v2")
    ok, vm = mgr.wait_vm("v2", lambda v: v.get("pid") is not None, 15)
    chk.ok(rc == 0 and ok, "vm start v2 once it is a file again", f"rc {rc}: {vm}")
    pids["v2"], nf_ids["v2"] = vm.get("pid"), vm.get("nf_id")
    files = [os.path.join(mgr.state_dir, f"v2.{ext}") for ext in ("console", "qmp")]
    deadline = time.monotonic() + 10
    while not all(map(os.path.exists, files)) and time.monotonic() < deadline:
        time.sleep(0.1)

    chk.section("orphan: v2 left the configuration across a manager restart")
    mgr.kill()
    ok, st = core.tel.wait_for(lambda s: attached(s) == set(nf_ids.values()), 5)
    chk.ok(ok, "the killed manager's three leases stay", f"instances {attached(st)}, VMs {nf_ids}")
    gone = [f"v2.{ext}" for ext in ("pid", "sock", "lease", "log", "console", "qmp")]
    there = [f for f in gone if os.path.lexists(os.path.join(mgr.state_dir, f))]
    chk.eq(there, gone, "v2's files are there before the restart")
    # a busy idle VM leaves its NF's lease in idle<N>.idle-lease: v3's stands for one
    os.rename(os.path.join(mgr.state_dir, "v3.lease"),
              os.path.join(mgr.state_dir, "idle1.idle-lease"))
    # a pid the kernel may have given to another process since
    decoy = subprocess.Popen(["sleep", "600"])
    env.add_cleanup(decoy.kill)
    with open(os.path.join(mgr.state_dir, "idle7.idle-pid"), "w") as f:
        f.write(f"{decoy.pid}\n")
    with open(os.path.join(mgr.state_dir, "idle.template"), "w") as f:
        f.write("a template the killed manager left\n")
    # pidfiles that do not name their QEMU: each is found by its socket all the same
    for name, text in (("v1.pid", ""), ("v3.pid", f"{decoy.pid}\n"),
                       ("idle0.idle-pid", "garbage\n")):
        with open(os.path.join(mgr.state_dir, name), "w") as f:
            f.write(text)
    write_conf(conf, core, ["v1"], idle=1)
    # the restart under umask 000: what the manager and its QEMUs make stays theirs
    mgr.argv = [a.replace("umask 077", "umask 000") for a in mgr.argv]
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts again with v1 only", err)
    deadline = time.monotonic() + 10
    while mgrtest.pid_alive(pids["v2"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    chk.ok(not mgrtest.pid_alive(pids["v2"]), "v2's QEMU is stopped", f"pid {pids['v2']}")
    while mgrtest.pid_alive(pids["v3"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    chk.ok(not mgrtest.pid_alive(pids["v3"]), "v3's QEMU is stopped, though v3.pid holds "
           "another process's pid", f"pid {pids['v3']}" + mgr.tail())
    there = [f for f in gone if os.path.lexists(os.path.join(mgr.state_dir, f))]
    chk.eq(there, [], "v2's pidfile, socket, lease, log, console and QMP socket are removed")
    chk.ok(os.path.exists(os.path.join(mgr.state_dir, "v1.log")), "v1's log stays")
    ok, st = core.tel.wait_for(lambda s: attached(s) == {nf_ids["v1"]}, 10)
    chk.ok(ok, "the core has v1's instance only (v2's lease and idle1's NF's ended)",
           f"instances {attached(st)}, VMs {nf_ids}")
    ok, vm = mgr.wait_vm("v1", lambda v: v.get("adopted") is True, 10)
    chk.ok(ok and vm.get("pid") == pids["v1"], "v1's QEMU is adopted, though v1.pid was "
           "empty", f"{vm}" + mgr.tail())
    chk.eq(mgrtest.read_pid(os.path.join(mgr.state_dir, "v1.pid")), pids["v1"],
           "v1.pid holds its QEMU's pid again")
    log = mgr.stdout()
    orphan = log.find("vm v2: not configured any more; stopping QEMU")
    adopted = log.find("vm v1: adopted QEMU")
    chk.ok(0 <= orphan < adopted, "the log: v2 stopped before v1 adopted", mgr.tail())

    chk.section("idle: the killed manager's idle VMs are stopped, a fresh pool started")
    for name, pid in idle_old.items():
        deadline = time.monotonic() + 10
        while pid and mgrtest.pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        chk.ok(pid and not mgrtest.pid_alive(pid), f"{name}'s old QEMU is stopped", f"pid {pid}")
    expect = [f"idle vm idle0: stopping QEMU pid {idle_old['idle0']} left by a previous "
              "netvm-manager\n",
              f"idle vm idle1: stopping QEMU pid {idle_old['idle1']} left by a previous "
              f"netvm-manager; ending the lease of its nf id {nf_ids['v3']}\n"]
    log = mgr.stdout()
    for line in expect:
        chk.ok(line in log, f"the log says: {line.strip()}", mgr.tail())
    chk.ok("idle7" not in log, "the log does not name idle7", mgr.tail())
    gone = [f"idle1.{ext}" for ext in ("idle-pid", "idle-lease", "agent", "qmp", "console",
                                      "log")] + ["idle7.idle-pid", "idle.template"]
    there = [f for f in gone if os.path.lexists(os.path.join(mgr.state_dir, f))]
    chk.eq(there, [], "idle1's pidfile, lease, agent and QMP sockets, console and log, "
           "idle7's pidfile and the template are removed")
    chk.ok(decoy.poll() is None, "the process whose pid was in idle7.idle-pid runs on",
           f"pid {decoy.pid}")
    new = idle_pids(mgr, ("idle0",))["idle0"]
    chk.ok(new is not None and new != idle_old["idle0"] and fake in cmdline(new)[:2],
           "idle0 boots in a fresh stand-in QEMU", f"pid {new}, old {idle_old['idle0']}")
    chk.eq(mgrtest.read_pid(os.path.join(mgr.state_dir, "idle0.idle-pid")), new,
           "its pid is in idle0.idle-pid")
    files = [os.path.join(mgr.state_dir, f) for f in ("idle0.agent", "idle0.qmp",
                                                      "idle0.idle-pid", "v1.pid")]
    deadline = time.monotonic() + 10
    while not all(map(os.path.exists, files)) and time.monotonic() < deadline:
        time.sleep(0.1)
    open_to = {os.path.basename(f): oct(mode(f)) if mode(f) is not None else None
               for f in files if mode(f) is None or mode(f) & 0o022}
    chk.eq(open_to, {}, "under umask 000: idle0's agent and QMP sockets (its QEMU's) and "
           "the pidfiles are writable by their owner only")

    chk.section("stop")
    chk.eq(mgr.stop(signal.SIGTERM, 30), 0, "netvm-manager exits 0 on SIGTERM")
    chk.ok(not mgrtest.pid_alive(pids["v1"]), "v1's QEMU is gone", f"pid {pids['v1']}")
    chk.ok(not mgrtest.pid_alive(new), "idle0's QEMU is gone", f"pid {new}")
    chk.ok(not os.path.exists(os.path.join(mgr.state_dir, "idle0.idle-pid")),
           "idle0.idle-pid is removed")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
