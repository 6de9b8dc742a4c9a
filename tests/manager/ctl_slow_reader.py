#!/usr/bin/env python3
"""ctl_slow_reader: a client that reads its long answer slowly holds the manager no longer than a second.

No core, no guest: the manager's configuration has no VM, and its core's
telemetry (/var/run/dpdk/<file_prefix>/dpdk_telemetry.v2) is played by the
test, answering /netvm/stats with about 900 KB of counters, so that the
manager's `stats` answer is far longer than a socket's buffer.

  slow     a client sends `stats` and reads its answer 4 KB every 50 ms
           (about 80 KB/s, it would take more than 10 s): meanwhile
           `netvmctl -t 4 vm list` is answered, the slow client's answer is
           cut (the manager closed it once its second was up), and the
           manager logs it
  prompt   a client that reads at once gets the whole answer, valid JSON
           with every counter
  probe    manager.qemu is a stand-in that never ends its
           `-device ivshmem-plain,help`: `vm receive v1`, which asks it
           for x-shared-no-migrate, is refused within seconds (the probe
           killed after 5 s, logged), not held as long as the binary runs

Needs root (the telemetry directory under /var/run/dpdk).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Proc  # noqa: E402
from nvtest.telemetry import FakeServer  # noqa: E402

# Stands in for QEMU: its capability probe (-device ivshmem-plain,help) never ends
HANG_QEMU = "#!/bin/sh\nexec sleep 60\n"
COUNTERS = 30000  # about 890 KB of JSON: under the manager's 1 MiB telemetry reply


def slow_read(path, result):
    """Ask `stats` and read the answer 4 KB every 50 ms; in @result how many
    bytes came and whether the stream ended (the manager closed it)."""
    got = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(b"stats\n")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 40:
            try:
                b = s.recv(4096)
            except OSError as exc:
                result["error"] = repr(exc)
                break
            if not b:
                result["ended"] = True
                break
            got += b
            time.sleep(0.05)
        result["secs"] = time.monotonic() - t0
    result["bytes"] = len(got)
    result["data"] = got


def main():
    env = nvenv.setup("ctl_slow_reader", timeout=120, description=__doc__)
    chk = check.Checker("ctl_slow_reader")
    nvenv.require_root(chk)
    nvenv.require_binaries(env, chk, [mgrtest.MANAGER_BIN, mgrtest.NETVMCTL_BIN])
    prefix = env.unique("slowrd")
    teldir = os.path.join("/var/run/dpdk", prefix)
    os.makedirs(teldir, exist_ok=True)
    env.add_cleanup(lambda: shutil.rmtree(teldir, ignore_errors=True))
    stats = {f"test_counter_{i:06d}": i for i in range(COUNTERS)}
    size = len(json.dumps({"/netvm/stats": stats}))
    FakeServer(os.path.join(teldir, "dpdk_telemetry.v2"), {"/netvm/stats": stats},
               max_output_len=size, sndbuf=4 * size)

    sock = env.path("manager.sock")
    conf = env.path("manager.conf")
    qemu = env.path("hangqemu")
    with open(qemu, "w") as f:
        f.write(HANG_QEMU)
    os.chmod(qemu, 0o755)
    with open(conf, "w") as f:
        f.write(f'manager = {{ socket = "{sock}"; state_dir = "{env.path("st")}"; '
                f'qemu = "{qemu}"; }};\n'
                f'core = {{ socket = "{env.path("core.sock")}"; file_prefix = "{prefix}"; }};\n'
                f'vms = ( {{ name = "v1"; role = 1; disk = "{conf}"; autostart = false; }} );\n')
    mgr = Proc(env, "manager", [env.binary(mgrtest.MANAGER_BIN), "-c", conf])
    mgr.start()
    ctl = env.binary(mgrtest.NETVMCTL_BIN)
    deadline = time.monotonic() + 20
    r = None
    while time.monotonic() < deadline:
        r = subprocess.run([ctl, "-s", sock, "--json", "vm", "list"], capture_output=True,
                           text=True, timeout=30)
        if r.returncode == 0:
            break
        time.sleep(0.2)
    chk.ok(r is not None and r.returncode == 0, "the manager answers",
           f"{r.stderr if r else ''}{mgr.tail()}")

    chk.section("prompt: a client that reads at once gets the whole answer")
    t0 = time.monotonic()
    r = subprocess.run([ctl, "-s", sock, "--json", "stats"], capture_output=True, text=True,
                       timeout=60)
    secs = time.monotonic() - t0
    try:
        got = json.loads(r.stdout).get("stats", {})
    except ValueError:
        got = {}
    chk.ok(r.returncode == 0 and got == stats,
           f"stats: every one of the {COUNTERS} counters ({secs:.2f} s)",
           f"rc {r.returncode} {len(r.stdout)} bytes {r.stderr[:300]}")
    length = len(r.stdout)

    chk.section("slow: a client reading its long answer slowly is cut after a second")
    result = {}
    t = threading.Thread(target=slow_read, args=(sock, result))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    r = subprocess.run([ctl, "-s", sock, "-t", "4", "--json", "vm", "list"],
                       capture_output=True, text=True, timeout=30)
    secs = time.monotonic() - t0
    chk.ok(r.returncode == 0 and '"vms"' in r.stdout,
           f"vm list is answered while the slow client reads ({secs:.2f} s)",
           f"rc {r.returncode}: {r.stderr}")
    t.join()
    print(f"ctl_slow_reader: the slow client read {result.get('bytes')} bytes "
          f"in {result.get('secs', 0):.1f} s", flush=True)
    chk.ok(result.get("ended") is True and 0 < result.get("bytes", 0) < length // 2,
           "the slow client's answer is cut short: the manager closed it",
           f"{ {k: v for k, v in result.items() if k != 'data'} } of about {length} bytes")
    chk.ok("control: a client took " in mgr.stdout() + mgr.stderr(),
           "the manager logs the client it closed", mgr.tail(4))

    chk.section("probe: a QEMU whose capability probe never ends holds the loop 5 s at most")
    t0 = time.monotonic()
    got = b""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(sock)
        s.sendall(b"vm receive v1\n")
        try:
            while True:
                b = s.recv(4096)
                if not b:
                    break
                got += b
        except OSError as exc:
            got += repr(exc).encode()
    secs = time.monotonic() - t0
    chk.ok(secs < 15 and b"x-shared-no-migrate" in got,
           f"vm receive v1: refused for want of x-shared-no-migrate ({secs:.1f} s)",
           f"{got[:300]!r}")
    chk.ok("did not end within 5000 ms" in mgr.stdout() + mgr.stderr(),
           "the manager logs the probe it killed", mgr.tail(4))

    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
    env.done(chk)


if __name__ == "__main__":
    main()
