#!/usr/bin/env python3
"""restart_count: a VM's restart count across a refused `vm start`.

No guest boots: manager.qemu is manager_state's stand-in behind a wrapper
that makes the first start of v1 fail (exit 3) and every later one stay up
(the VM stays `starting`). v1 has restart = "on-failure" and a 100 ms
backoff:

  restart    the first QEMU exits: v1 is restarted, `vm list` shows
             RESTARTS 1 and v1 up again
  start      `vm start v1` while it is up is refused ("already", exit 1)
             and leaves RESTARTS at 1 (the count resets only when a start
             is made, docs/manager.md section 4)
  stop       SIGTERM: the manager exits 0

Needs root and hugepages.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import mgrtest  # noqa: E402
from manager_state import CORE_CONFIG, FAKE_QEMU, Manager, kill_fakes  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402

# the first start fails; QEMU's probe (an argument ending in ",help") is not a start
ONCE = """#!/bin/sh
for a in "$@"; do case "$a" in *,help) exec "$(dirname "$0")/fakeqemu" "$@" ;; esac; done
if [ ! -e "$(dirname "$0")/failed-once" ]; then
	touch "$(dirname "$0")/failed-once"
	exit 3
fi
exec "$(dirname "$0")/fakeqemu" "$@"
"""


def v1(mgr):
    """v1's entry in `vm list --json`, or {}."""
    rc, out = mgr.netvmctl("vm", "list")
    vms = out.get("vms", []) if isinstance(out, dict) else []
    return next((v for v in vms if v.get("name") == "v1"), {})


def main():
    env = nvenv.setup("restart_count", 120, __doc__)
    chk = check.Checker("restart_count")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, mgrtest.MANAGER_BIN,
                                      mgrtest.NETVMCTL_BIN])
    os.mkdir(env.path("bin"))
    for name, text in (("fakeqemu", FAKE_QEMU), ("qemu-once", ONCE)):
        with open(env.path(f"bin/{name}"), "w") as f:
            f.write(text)
        os.chmod(env.path(f"bin/{name}"), 0o755)
    env.add_cleanup(lambda: kill_fakes(env.path("bin/fakeqemu")))
    with open(env.path("vmlinux"), "w") as f:
        f.write("not a kernel: the stand-in QEMU never reads it\n")
    core = Core(env, "rc", CORE_CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if err:
        chk.fatal("core engine starts", err)
    conf = env.path("m.conf")
    with open(conf, "w") as f:
        f.write('manager = { socket = "manager.sock"; state_dir = "st"; qemu = "bin/qemu-once";\n'
                '  accel = "tcg"; connect_timeout_s = 600; boot_timeout_s = 600;\n'
                '  restart_backoff_ms = 100; };\n'
                f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n'
                f'vms = ( {{ name = "v1"; role = {mgrtest.ROLE}; kernel = "vmlinux"; '
                'launcher = "qemu"; restart = "on-failure"; } );\n')
    mgr = Manager(env, conf, env.path("st"), env.path("manager.sock"))
    err = mgr.start_ready()
    if err:
        chk.fatal("netvm-manager starts", err)

    chk.section("restart: the first QEMU exits, v1 is restarted")
    deadline, vm = time.monotonic() + 30, {}
    while time.monotonic() < deadline:
        vm = v1(mgr)
        if vm.get("restarts") == 1 and vm.get("state") == "starting" and vm.get("pid"):
            break
        time.sleep(0.1)
    chk.ok(vm.get("restarts") == 1 and vm.get("state") == "starting",
           "v1 restarted once and up again (RESTARTS 1, starting)", str(vm))

    chk.section("start: vm start of v1, which is up")
    rc, out = mgr.netvmctl("vm", "start", "v1")
    why = out.get("error", "") if isinstance(out, dict) else str(out)
    chk.ok(rc == 1 and "already" in why, "vm start v1: refused, v1 is up already",
           f"rc {rc}: {out}")
    after = v1(mgr)
    chk.eq(after.get("restarts"), 1, "the refused start leaves RESTARTS at 1")
    chk.eq(after.get("pid"), vm.get("pid"), "the same QEMU runs on")

    chk.section("stop")
    chk.eq(mgr.stop(signal.SIGTERM, 30), 0, "SIGTERM: the manager exits 0")
    env.done(chk)


if __name__ == "__main__":
    main()
