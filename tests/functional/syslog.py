#!/usr/bin/env python3
"""syslog: netvm-core and netvm-manager with --syslog send their messages to syslog.

No syslog daemon is needed: each daemon runs in a private mount namespace
(unshare -m) whose /dev is a fresh tmpfs holding links to the real /dev's
entries and a /dev/log link to a unix datagram socket the test listens on,
so the C library's syslog(3) talks to the test. Checked:

  core     a running core's start-up line arrives as netvm-core[PID] at
           daemon.info (<30>) and is no longer on its stdout; the counters
           it prints when stopped (SIGINT) arrive too, and it exits 0
  core     a configuration error arrives at daemon.err (<27>) with the
           file's line, and the core exits non-zero
  manager  --check of a good file: "configuration valid" at daemon.info;
           of a bad file: the error with the file's line at daemon.err
  manager  a running manager's start-up message arrives; SIGTERM's
           "stopping every VM" arrives; it exits 0
Without --syslog the same core start-up line is on stdout and none of the
core's own lines arrive at the socket (DPDK's EAL sends its "EAL: ..." lines
to syslog in any case).
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Proc  # noqa: E402

MANAGER_BIN = "manager/netvm-manager"
CONFIG = """core = {
  pool_buffers = 1024;
  buffer_size = 2048;
};
rules = ( { in_port = 0; role = 1; } );
"""
BAD_CONFIG = """core = {
  pool_buffers = 1024;
  buffer_sise = 2048;
};
"""
# $1 = the directory with the socket "log"; then the command. /dev becomes a
# tmpfs of links into the real /dev (mounted again at $1/dev), plus /dev/log.
PRIVATE_DEV = r"""
set -e
mount --make-rprivate /
mkdir -p "$1/dev"
mount --rbind /dev "$1/dev"
mount -t tmpfs -o mode=755 netvm-syslog-test /dev
for e in "$1"/dev/* "$1"/dev/.[!.]*; do [ -e "$e" ] || [ -L "$e" ] && ln -s "$e" /dev/; done
ln -s "$1/log" /dev/log
d=$1; shift
exec "$@"
"""
PRI_INFO, PRI_ERR = 3 * 8 + 6, 3 * 8 + 3  # daemon.info, daemon.err
MSG = re.compile(r"<(\d+)>(?:\w{3} [ \d]\d \d\d:\d\d:\d\d )?([\w-]+)\[(\d+)\]: (.*)", re.S)


class Listener:
    """A unix datagram socket at @d/log collecting syslog messages in a
    thread (a full socket queue would block the daemons' syslog calls)."""

    def __init__(self, env, d):
        self.path = os.path.join(d, "log")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.settimeout(0.2)
        self.msgs = []  # (priority, ident, pid, text)
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        env.add_cleanup(self.close)

    def run(self):
        while not self.stopping:
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, BlockingIOError):
                continue
            except OSError:
                return
            m = MSG.fullmatch(data.decode(errors="replace").rstrip("\n"))
            with self.lock:
                self.msgs.append((int(m.group(1)), m.group(2), int(m.group(3)), m.group(4))
                                 if m else (None, None, None, data.decode(errors="replace")))

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()

    def wait_for(self, pred, timeout=20.0):
        """The first message satisfying @pred, waiting up to @timeout s; None if none."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [m for m in self.msgs if pred(m)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    def of(self, ident):
        with self.lock:
            return [m for m in self.msgs if m[1] == ident]


def private_dev(env, d, argv):
    return [nvenv.which("unshare"), "-m", "sh", "-c", PRIVATE_DEV, "sh", d] + list(argv)


def text(msgs):
    return " | ".join(m[3] for m in msgs[-6:])


def core_part(env, chk, lst, d):
    chk.section("netvm-core --syslog")
    core = Core(env, "sl", CONFIG, ["net_null0"], app_extra=["--syslog"])
    core.argv = private_dev(env, d, core.argv)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts in a private /dev with --syslog", err or ""):
        return
    pid = core.pid
    started = lst.wait_for(lambda m: m[1] == "netvm-core" and "port(s)" in m[3])
    chk.ok(started is not None and started[0] == PRI_INFO and started[2] == pid,
           f"its start-up line arrives as netvm-core[{pid}] at daemon.info",
           f"got {started}; all: {text(lst.of('netvm-core'))}")
    chk.ok("port(s)" not in open(core.out_path).read(), "and is not on its stdout")
    rc = core.stop(signal.SIGINT, 20)
    chk.eq(rc, 0, "core exits 0 on SIGINT")
    final = lst.wait_for(lambda m: m[1] == "netvm-core" and m[3].startswith("stat pool0_free"))
    chk.ok(final is not None and final[0] == PRI_INFO,
           "its final counters (stat pool0_free ...) arrive at daemon.info", text(lst.of("netvm-core")))

    bad = Core(env, "sb", BAD_CONFIG, ["net_null0"], app_extra=["--syslog"])
    bad.argv = private_dev(env, d, bad.argv)
    bad.start()
    rc = bad.wait(60)
    msg = lst.wait_for(lambda m: m[1] == "netvm-core" and "buffer_sise" in m[3])
    chk.ok(rc not in (0, None), "a core with a bad configuration exits non-zero", f"rc {rc}")
    chk.ok(msg is not None and msg[0] == PRI_ERR and f"{bad.config_path}:3:" in msg[3],
           "its error arrives at daemon.err with the file's line 3",
           f"got {msg}; all: {text(lst.of('netvm-core'))}")


def manager_part(env, chk, lst, d):
    chk.section("netvm-manager --syslog")
    mgr_bin = env.binary(MANAGER_BIN)
    good, bad = env.path("manager.conf"), env.path("manager-bad.conf")
    with open(good, "w") as f:
        f.write(f'manager = {{ socket = "{env.path("manager.sock")}"; '
                f'state_dir = "{env.path("vms")}"; }};\nvms = ();\n')
    with open(bad, "w") as f:
        f.write('manager = {\n  sokcet = "x";\n};\n')
    for path, want_rc, pri, needle, what in (
            (good, 0, PRI_INFO, "configuration valid", "--check of a good file"),
            (bad, 1, PRI_ERR, f"{bad}:2:", "--check of a bad file (line 2)")):
        r = subprocess.run(private_dev(env, d, [mgr_bin, "--syslog", "--check", "-c", path]),
                           capture_output=True, text=True, timeout=60)
        msg = lst.wait_for(lambda m, n=needle: m[1] == "netvm-manager" and n in m[3])
        chk.ok(r.returncode == want_rc and msg is not None and msg[0] == pri,
               f"{what}: exit {want_rc}, '{needle}' at {'daemon.info' if pri == PRI_INFO else 'daemon.err'}",
               f"rc {r.returncode} stdout {r.stdout!r} stderr {r.stderr!r} got {msg}; "
               f"all: {text(lst.of('netvm-manager'))}")
        chk.eq(r.stdout + r.stderr, "", f"{what}: nothing on stdout or stderr")
    mgr = Proc(env, "manager", private_dev(env, d, [mgr_bin, "--syslog", "-c", good]))
    mgr.start()
    msg = lst.wait_for(lambda m: m[1] == "netvm-manager" and m[2] == mgr.pid)
    chk.ok(msg is not None, f"a running manager's messages arrive as netvm-manager[{mgr.pid}]",
           text(lst.of("netvm-manager")))
    rc = mgr.stop(signal.SIGTERM, 20)
    msg = lst.wait_for(lambda m: m[1] == "netvm-manager" and "stopping every VM" in m[3])
    chk.ok(msg is not None and msg[0] == PRI_INFO, "SIGTERM: 'stopping every VM' arrives",
           text(lst.of("netvm-manager")))
    chk.eq(rc, 0, "manager exits 0")


def without_part(env, chk, lst, d):
    chk.section("without --syslog")
    n = len(lst.of("netvm-core"))
    core = Core(env, "sn", CONFIG, ["net_null0"])
    core.argv = private_dev(env, d, core.argv)
    err = core.start_ready()
    chk.ok(err is None, "core starts without --syslog", err or "")
    rc = core.stop(signal.SIGINT, 20)
    chk.eq(rc, 0, "core exits 0 on SIGINT")
    chk.ok("port(s)" in open(core.out_path).read(), "its start-up line is on stdout")
    time.sleep(0.5)
    # DPDK's EAL sends its own messages to syslog anyway (its default log
    # stream); the core's own lines must not go there
    own = [m for m in lst.of("netvm-core")[n:] if not re.match(r"[A-Z_]+: ", m[3])]
    chk.eq(own, [], "none of the core's own lines reached the syslog socket")


def main():
    env = nvenv.setup("syslog", timeout=170, description=__doc__)
    chk = check.Checker("syslog")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, MANAGER_BIN])
    if nvenv.which("unshare") is None:
        chk.fatal("unshare installed", "unshare not found (util-linux)")
    d = env.path("syslog")
    os.makedirs(d, exist_ok=True)
    lst = Listener(env, d)
    core_part(env, chk, lst, d)
    manager_part(env, chk, lst, d)
    without_part(env, chk, lst, d)
    env.done(chk)


if __name__ == "__main__":
    main()
