#!/usr/bin/env python3
"""manager_hostile: an idle VM's agent channel played by a hostile guest.

No guest boots: manager.qemu is a stand-in (a script the manager launches in
place of QEMU) that answers QMP as QEMU would, connects to the doorbell server
a hot-plug names and marks the NF live in its private region as a guest's NF
would, and plays the guest's netvm-agent on the idle VM's agent socket
(<state_dir>/idle0.agent) as the file `mode` beside it says. One idle VM,
idle.timeout_ms 10000, boot_timeout_s 6, and a VM of `vms` (v1, which stays
`starting`) that must keep being listed. Throughout, `netvmctl -t 2 vm list`
must answer (the manager's loop is single-threaded: a read that waits on the
guest would stall it):

  flood      while it boots, the agent writes "pong 0" lines without end
             (two threads):
             vm list answers during it, the manager's VmRSS grows by less
             than 8 MiB, the VM is destroyed at boot_timeout_s (log line
             naming idle0 and the time-out), a fresh QEMU takes the slot
  noise      while it boots: a 100000-byte line, then one without its line
             end, NUL and non-ASCII bytes, pongs with numbers too large,
             negative, or with another sequence number, then the right pong:
             idle0 becomes idle (boot noise is skipped)
  busy VM    an NF started in idle0 (nf start), then its agent answers the
             1-second status check with, in turn:
               half      "running SEQ" and then nothing: vm list answers
                         while the manager waits; the VM is destroyed after
                         timeout_ms ("no answer to 'status' within 10000 ms")
               wrongseq  another request's sequence number
               long      a 100000-byte line
               nul       a NUL byte in the line
               json      a JSON object instead of the line protocol
               wrongverb "started SEQ PID", a well-formed answer no status
                         request has
               unasked   a second line nobody asked for
               deaf      the agent stops reading its port and answers each
                         request it peeks at: once the socket takes no
                         more, the request left unsent is not waited for
                         (vm list answers) and the VM is destroyed after
                         timeout_ms ("the guest did not read the 'status'
                         request within 10000 ms")
             each: a log line naming idle0 and what was wrong, the NF's
             instance gone from the core, `replaced` counted, the slot
             refilled
  dies       QEMU exits after the agent answered 'run', before the NF
             attaches: nf start fails at once (not after timeout_ms) with
             "waiting for the NF to attach: QEMU exited (status 3)", the
             NF's lease ended, idle0 counted replaced and refilled
  slow stop  status answered 1.5 s late, so a check is often outstanding:
             nf stop still stops the NF cleanly (the VM retired, not
             replaced)
  chardev    the test connects to v1's chardev socket as its QEMU (v1 runs once
             the test marks its NF live); while nf start holds the manager's
             loop (the agent holds its answer to 'run' until the test lets
             it go) it connects to that socket 70000 times more, then closes
             its QEMU connection: each refused connection is counted, in at
             most two log lines when the loop was held all along (a host too
             slow to connect 70000 times before the manager stops waiting
             for 'run' skips that bound), and the close is not lost behind
             them: v1 goes down for it
  stop       SIGTERM: the manager exits 0

Needs root and hugepages.
"""

import json
import mmap
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "manager"))

import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Proc  # noqa: E402

CORE_CONFIG = """
core = { pool_buffers = 4095; buffer_size = 2048; ring_size = 256; };
default = { action = "drop"; };
"""

TIMEOUT_MS = 10000
BOOT_S = 6

FAKE_QEMU = r'''#!/usr/bin/python3
# Stands in for QEMU. Answers the ",help" probes with nothing, writes the
# -serial file, serves -qmp (add-fd keeps the fd; chardev-add connects to
# the doorbell server, maps the private region it sends and sets nf_state,
# offset 320, to 1, as an NF in the guest does) and plays the agent on the
# netvm-agent chardev as the file "mode" beside this script says.
import json, mmap, os, socket, struct, sys, threading, time
HERE = os.path.dirname(os.path.abspath(__file__))
keep = []


def mode():
    try:
        with open(os.path.join(HERE, "mode")) as f:
            return f.read().strip()
    except OSError:
        return "good"


def bell(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    keep.append(s)
    for _ in range(4):
        data, fds, _, _ = socket.recv_fds(s, 8, 1)
        (v,) = struct.unpack("<q", data)
        keep.extend(fds)
        if v == -1 and fds:
            size = os.fstat(fds[0]).st_size
            m = mmap.mmap(fds[0], size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            if mode() != "dies":  # its NF never attaches: QEMU dies first
                struct.pack_into("<I", m, 320, 1)
            keep.append(m)


def qmp(path):
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(1)
    while True:
        c, _ = ls.accept()
        c.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
        buf = b""
        while True:
            data, fds, _, _ = socket.recv_fds(c, 65536, 4)
            if not data:
                break
            keep.extend(fds)
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                cmd = json.loads(line)
                name, a = cmd.get("execute"), cmd.get("arguments", {})
                ret = {}
                if name == "add-fd":
                    ret = {"fd": fds[0] if fds else 3, "fdset-id": 0}
                elif name == "chardev-add":
                    bell(a["backend"]["data"]["addr"]["data"]["path"])
                c.sendall(json.dumps({"return": ret}).encode() + b"\r\n")
                if name == "device_del":
                    ev = {"event": "DEVICE_DELETED", "data": {"device": a["id"]}}
                    c.sendall(json.dumps(ev).encode() + b"\r\n")


def status(c, seq):
    m = mode()
    if m == "half":
        c.sendall(b"running %d" % seq)
        time.sleep(3600)
    elif m == "wrongseq":
        c.sendall(b"running %d 42\n" % (seq + 7))
    elif m == "long":
        c.sendall(b"running " + b"9" * 100000 + b"\n")
    elif m == "nul":
        c.sendall(b"running %d\x0042\n" % seq)
    elif m == "json":
        c.sendall(b'{"verb": "running", "seq": %d, "pid": 42}\n' % seq)
    elif m == "wrongverb":
        c.sendall(b"started %d 42\n" % seq)
    elif m == "unasked":
        c.sendall(b"running %d 42\nexited %d 0\n" % (seq, seq))
    elif m == "deaf":
        # answers every status request from then on without reading one: it
        # only peeks at them, so they stay in the manager's socket buffer
        c.sendall(b"running %d 42\n" % seq)
        done = seq
        while True:
            time.sleep(0.05)
            for line in c.recv(65536, socket.MSG_PEEK).split(b"\n")[:-1]:
                words = line.split(b" ")
                if words[0] == b"status" and int(words[1]) > done:
                    done = int(words[1])
                    c.sendall(b"running %d 42\n" % done)
    elif m == "slow":
        time.sleep(1.5)
        c.sendall(b"running %d 42\n" % seq)
    else:
        c.sendall(b"running %d 42\n" % seq)


def agent(path):
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(1)
    c, _ = ls.accept()
    if mode() == "flood":
        chunk = b"pong 0\n" * 9000

        def flood():
            while True:
                c.sendall(chunk)
        threading.Thread(target=flood, daemon=True).start()
        flood()
    if mode() == "noise":
        c.sendall(b"x" * 100000 + b"\n" + b"\xff\xfe\x00\x01 pong 1\n" +
                  b"pong 1\x00\n" + b"pong 4294967296\n" + b"pong -1\n" +
                  b"pong 99999\n" + b"\xc3\x28" * 300 + b"\n")
    buf = b""
    while True:
        data = c.recv(4096)
        if not data:
            time.sleep(3600)
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            words = line.decode().split(" ")
            verb, seq = words[0], int(words[1])
            if verb == "ping":
                c.sendall(b"pong %d\n" % seq)
            elif verb == "run":
                while mode() == "holdrun":  # holds the manager's loop in nf start
                    time.sleep(0.05)
                c.sendall(b"started %d 42\n" % seq)
                if mode() == "dies":
                    time.sleep(0.3)
                    os._exit(3)
            elif verb == "stop":
                c.sendall(b"stopped %d 0\n" % seq)
            elif verb == "status":
                status(c, seq)
            else:
                c.sendall(b"error %d unknown request\n" % seq)


args = sys.argv[1:]
if any(a.endswith(",help") for a in args):
    sys.exit(0)
agent_path = None
for opt, val in zip(args, args[1:]):
    if opt == "-chardev" and "id=netvm-agent" in val:
        agent_path = [o[5:] for o in val.split(",") if o.startswith("path=")][0]
    if opt == "-serial" and val.startswith("file:"):
        with open(val[5:], "w") as f:
            f.write("stand-in console\n")
    if opt == "-qmp" and val.startswith("unix:"):
        threading.Thread(target=qmp, args=(val[5:].split(",")[0],), daemon=True).start()
if agent_path is None:
    time.sleep(3600)
agent(agent_path)
'''


class Manager(mgrtest.Manager):
    """netvm-manager on configuration @conf."""

    def __init__(self, env, conf, state_dir, sock):
        self.state_dir, self.sock, self.conf = state_dir, sock, conf
        self.ctl = env.binary(mgrtest.NETVMCTL_BIN)
        env.add_cleanup(self.kill_qemus)
        Proc.__init__(self, env, "manager", [env.binary(mgrtest.MANAGER_BIN), "-c", conf])


def kill_fakes(fake):
    """SIGKILL every process running the stand-in @fake (cleanup)."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if fake.encode() in argv[:2]:
                os.kill(int(d), signal.SIGKILL)
        except OSError:
            pass


def rss_kib(pid):
    """VmRSS of process @pid in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def answers(mgr, secs=2):
    """Whether `netvmctl -t @secs vm list` answers, listing v1; (bool, detail)."""
    t0 = time.monotonic()
    r = subprocess.run([mgr.ctl, "-s", mgr.sock, "-t", str(secs), "--json", "vm", "list"],
                       capture_output=True, text=True, timeout=30)
    print(f"  vm list: {time.monotonic() - t0:.3f} s", flush=True)
    try:
        names = [v["name"] for v in json.loads(r.stdout)["vms"]]
    except (ValueError, KeyError, TypeError):
        names = []
    return r.returncode == 0 and names == ["v1"], f"rc {r.returncode}: {r.stderr.strip()}"


def idle0(mgr):
    """idle0's entry and the pool's counters from `idle list`."""
    rc, out = mgr.netvmctl("idle", "list")
    if rc != 0 or not isinstance(out, dict):
        return {}, {}
    vm = {v["name"]: v for v in out.get("idle", [])}.get("idle0", {})
    return vm, out


def wait_idle(mgr, pred, timeout):
    """Poll idle0 until pred(vm, pool); (True, vm) or (False, last vm)."""
    deadline = time.monotonic() + timeout
    while True:
        vm, pool = idle0(mgr)
        if vm and pred(vm, pool):
            return True, vm
        if time.monotonic() >= deadline:
            return False, vm
        time.sleep(0.1)


def set_mode(path, mode):
    with open(path + ".new", "w") as f:
        f.write(mode + "\n")
    os.rename(path + ".new", path)


def attached(core):
    """The instance ids the core's counters show attached."""
    return {int(k[2:-5]) for k in core.stats() if re.fullmatch(r"nf\d+_role", k)}


def start_nf(env, chk, mgr, core, modefile, tag):
    """Provision an NF into idle0 with a well-behaved agent; its nf id or None."""
    set_mode(modefile, "good")
    ok, vm = wait_idle(mgr, lambda v, p: v.get("state") == "idle", 30)
    if not ok:
        chk.ok(False, f"{tag}: idle0 idle before nf start", str(vm))
        return None
    rc, out = mgr.netvmctl("nf", "start", "--role", str(mgrtest.ROLE), "--", "fake-nf")
    nf = out.get("nf_id") if isinstance(out, dict) else None
    chk.ok(rc == 0 and nf is not None and nf in attached(core),
           f"{tag}: nf start in idle0 (nf id {nf})", f"rc {rc}: {out}")
    return nf if rc == 0 else None


def hostile_status(env, chk, mgr, core, modefile, mode, expect):
    """An NF in idle0 whose agent answers status per @mode: destroyed with @expect."""
    nf = start_nf(env, chk, mgr, core, modefile, mode)
    if nf is None:
        return
    _, pool = idle0(mgr)
    replaced = pool.get("replaced", 0)
    pid = idle0(mgr)[0].get("pid")
    log_len = len(mgr.stdout())
    set_mode(modefile, mode)
    if mode in ("half", "deaf"):
        time.sleep(1.5)  # the status check is out, its answer half there / not read
        for i in range(3):
            ok, why = answers(mgr)
            chk.ok(ok, f"{mode}: vm list answers while a status answer is half there "
                   f"or the guest does not read its port ({i + 1} of 3)", why)
    # deaf: its socket's send buffer fills after some status checks (about one a
    # second), then the request not taken waits timeout_ms
    ok, vm = wait_idle(mgr, lambda v, p: p.get("replaced", 0) > replaced,
                       TIMEOUT_MS / 1000 + (60 if mode == "deaf" else 20))
    chk.ok(ok, f"{mode}: idle0 destroyed and counted replaced", str(vm))
    log = mgr.stdout()[log_len:]
    line = next((ln for ln in log.splitlines()
                 if "idle vm idle0" in ln and f"nf id {nf}" in ln and expect in ln), None)
    chk.ok(line is not None, f"{mode}: log names idle0, nf id {nf} and '{expect}'",
           log[-1500:])
    chk.ok(nf not in attached(core), f"{mode}: nf id {nf} no longer attached to the core")
    set_mode(modefile, "good")
    ok, vm = wait_idle(mgr, lambda v, p: v.get("state") == "idle" and v.get("pid") != pid, 30)
    chk.ok(ok, f"{mode}: a fresh QEMU idle in the slot", str(vm))
    ok, why = answers(mgr)
    chk.ok(ok, f"{mode}: vm list answers", why)


def chardev_flood(chk, mgr, state, modefile):
    """v1's chardev: the test as its QEMU, then 70000 refused peers while the
    manager's loop waits on an agent; then the QEMU connection closes."""
    path = os.path.join(state, "v1.sock")
    qemu = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    qemu.connect(path)
    keep = []
    for _ in range(4):
        data, fds, _, _ = socket.recv_fds(qemu, 8, 1)
        if struct.unpack("<q", data)[0] == -1 and fds:
            m = mmap.mmap(fds[0], os.fstat(fds[0]).st_size)
            struct.pack_into("<I", m, 320, 1)  # its NF is live
            keep.append(m)
        keep.extend(fds)
    deadline = time.monotonic() + 20
    while mgr.vm("v1").get("state") != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    chk.eq(mgr.vm("v1").get("state"), "running", "chardev: v1 runs")
    set_mode(modefile, "good")
    ok, vm = wait_idle(mgr, lambda v, p: v.get("state") == "idle", 30)
    chk.ok(ok, "chardev: idle0 idle", str(vm))
    log_len = len(mgr.stdout())
    set_mode(modefile, "holdrun")
    nf = subprocess.Popen([mgr.ctl, "-s", mgr.sock, "-t", "60", "nf", "start", "--role",
                           str(mgrtest.ROLE), "--", "fake-nf"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    # as many refused peers as fill a pipe, all while the manager's loop
    # waits for the agent's answer to run (at most TIMEOUT_MS + 10 s)
    t0, n = time.monotonic(), 0
    while n < 70000 and time.monotonic() - t0 < 120:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(path)
        n += 1
    qemu.close()
    time.sleep(0.5)
    held = nf.poll() is None  # the manager's wait for run did not end meanwhile
    print(f"  {n} refused peers in {time.monotonic() - t0:.1f} s, then v1's QEMU closed"
          f"{'' if held else ': the wait for run ended before (a slow host)'}", flush=True)
    set_mode(modefile, "good")
    nf.wait(60)
    deadline = time.monotonic() + 15
    while mgr.vm("v1").get("state") == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    log = mgr.stdout()[log_len:]
    chk.ok("vm v1: down: QEMU closed its chardev connection" in log,
           "chardev: v1 went down for its closed chardev connection",
           str(mgr.vm("v1")) + " " + log[-800:])
    lines = [ln for ln in log.splitlines() if "vm v1: refused" in ln]
    refused = sum(int(m.group(1)) for m in
                  (re.search(r"refused (\d+) connection", ln) for ln in lines) if m)
    chk.eq(refused, n, f"chardev: the {n} refused connections are counted")
    if held:  # the loop was held all along: the refusals wait as one event
        chk.ok(0 < len(lines) <= 2, f"chardev: ... in {len(lines)} log line(s)",
               "\n".join(lines[:5]))
    for m in keep:
        m.close() if isinstance(m, mmap.mmap) else os.close(m)


def main():
    env = nvenv.setup("manager_hostile", 300, __doc__)
    chk = check.Checker("manager_hostile")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    os.mkdir(env.path("bin"))
    fake = env.path("bin/fakeqemu")
    with open(fake, "w") as f:
        f.write(FAKE_QEMU)
    os.chmod(fake, 0o755)
    modefile = env.path("bin/mode")
    set_mode(modefile, "flood")
    env.add_cleanup(lambda: kill_fakes(fake))
    with open(env.path("vmlinux"), "w") as f:
        f.write("not a kernel: the stand-in QEMU never reads it\n")
    core = Core(env, "mh", CORE_CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)
    conf = env.path("m.conf")
    state = env.path("vms")
    with open(conf, "w") as f:
        f.write(f'manager = {{ socket = "{env.path("m.sock")}"; state_dir = "{state}";\n'
                f'  qemu = "{fake}"; accel = "tcg"; connect_timeout_s = 600;\n'
                f'  boot_timeout_s = {BOOT_S}; restart_backoff_ms = 100; }};\n'
                f'idle = {{ count = 1; kernel = "vmlinux"; timeout_ms = {TIMEOUT_MS}; }};\n'
                f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n'
                f'vms = ( {{ name = "v1"; role = {mgrtest.ROLE}; kernel = "vmlinux";'
                ' restart = "never"; } );\n')

    chk.section("flood: the agent floods while idle0 boots")
    mgr = Manager(env, conf, state, env.path("m.sock"))
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)
    ok, vm = wait_idle(mgr, lambda v, p: v.get("pid"), 20)
    chk.ok(ok, "idle0 booting in the stand-in", str(vm))
    pid = vm.get("pid")
    time.sleep(1.0)  # the flood is on
    rss0 = rss_kib(mgr.pid)
    for i in range(5):
        ok, why = answers(mgr)
        chk.ok(ok, f"flood: vm list answers ({i + 1} of 5)", why)
        time.sleep(0.2)
    rss1 = rss_kib(mgr.pid)
    chk.ok(rss1 - rss0 < 8192, f"flood: VmRSS {rss0} -> {rss1} KiB (grows < 8 MiB)")
    set_mode(modefile, "noise")
    ok, vm = wait_idle(mgr, lambda v, p: v.get("pid") != pid, BOOT_S + 20)
    chk.ok(ok, f"flood: idle0 destroyed at boot_timeout_s ({BOOT_S} s), a fresh QEMU in its "
           "slot", str(vm))
    chk.ok(re.search(r"idle vm idle0: destroyed \(pid \d+\): its agent did not answer "
                     f"within {BOOT_S} s", mgr.stdout()) is not None,
           "flood: the log names idle0 and the time-out", mgr.tail())

    chk.section("noise: junk before the right pong while idle0 boots")
    ok, vm = wait_idle(mgr, lambda v, p: v.get("state") == "idle", 30)
    chk.ok(ok, "noise: idle0 idle after the junk", str(vm))
    ok, why = answers(mgr)
    chk.ok(ok, "noise: vm list answers", why)

    chk.section("busy VM: hostile answers to the status check")
    for mode, expect in (("half", f"no answer to 'status' within {TIMEOUT_MS} ms"),
                         ("wrongseq", "agent: answer"),
                         ("long", "an answer longer than 160 bytes"),
                         ("nul", "a NUL byte in the line"),
                         ("json", "garbage answer"),
                         ("wrongverb", "agent: answered status with started"),
                         ("unasked", "output nobody asked for"),
                         ("deaf", "agent: the guest did not read the 'status' request "
                          f"within {TIMEOUT_MS} ms")):
        hostile_status(env, chk, mgr, core, modefile, mode, expect)

    chk.section("dies: QEMU exits after the agent's 'started', before the NF attaches")
    ok, vm = wait_idle(mgr, lambda v, p: v.get("state") == "idle", 30)
    chk.ok(ok, "dies: idle0 idle before nf start", str(vm))
    _, pool = idle0(mgr)
    pid, before = vm.get("pid"), attached(core)
    set_mode(modefile, "dies")
    t0 = time.monotonic()
    rc, out = mgr.netvmctl("nf", "start", "--role", str(mgrtest.ROLE), "--", "fake-nf")
    took = time.monotonic() - t0
    why = out.get("error", "") if isinstance(out, dict) else str(out)
    # the message tells it from the end of idle.timeout_ms ("the NF did not attach")
    chk.ok(rc == 1 and "waiting for the NF to attach: QEMU exited (status 3)" in why,
           f"dies: nf start fails (in {took:.1f} s), saying QEMU exited", f"rc {rc}: {out}")
    chk.eq(attached(core), before, "dies: the NF's lease is ended")
    set_mode(modefile, "good")
    ok, vm = wait_idle(mgr, lambda v, p: v.get("state") == "idle" and v.get("pid") != pid and
                       p.get("replaced", 0) == pool.get("replaced", 0) + 1, 30)
    chk.ok(ok, "dies: counted replaced, a fresh QEMU idle in the slot", str(vm))

    chk.section("slow stop: nf stop while a status check is outstanding")
    nf = start_nf(env, chk, mgr, core, modefile, "slow")
    if nf is not None:
        _, pool = idle0(mgr)
        set_mode(modefile, "slow")
        time.sleep(2.2)
        rc, out = mgr.netvmctl("nf", "stop", str(nf))
        _, pool2 = idle0(mgr)
        chk.ok(rc == 0 and pool2.get("retired", 0) == pool.get("retired", 0) + 1 and
               pool2.get("replaced", 0) == pool.get("replaced", 0),
               "slow: nf stop retires idle0 (not replaced)", f"rc {rc}: {out}; {pool2}")
        chk.ok(nf not in attached(core), f"slow: nf id {nf} no longer attached")
        set_mode(modefile, "good")

    chk.section("chardev: refused peers flood v1's socket while the loop is held up")
    chardev_flood(chk, mgr, state, modefile)

    chk.section("stop")
    chk.ok(mgr.alive(), "the manager still runs", mgr.tail())
    rc = mgr.stop(signal.SIGTERM, 30)
    chk.eq(rc, 0, "SIGTERM: netvm-manager exits 0")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
