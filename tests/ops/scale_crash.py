#!/usr/bin/env python3
"""scale_crash: a manager that dies takes its host-process instances with it; the next one starts its own.

The core sends everything from port 0 to role 1; the manager's policy for
role 1 runs nf_slow (no delay) as host processes, min 1, max 2.

  min       one instance runs: scale list gives its pid, the core has it
            attached (nfs_attached 1), frames go through it
  crash     the manager killed (SIGKILL): its instance process ends too
            (nobody would manage it), and the core detaches it
  restart   a new manager on the same configuration starts one instance of
            its own: a new process, and the core has exactly one instance
            attached (not the dead manager's as well); frames go through it
  stop      SIGINT: the manager stops its instance, the core has every
            buffer back
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import opslib  # noqa: E402
import scale  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

import mgrtest  # noqa: E402  (tests/manager, on opslib's path)

SLOW_BIN = scale.SLOW_BIN
CONFIG = scale.CONFIG


def policy(slow):
    return f"""scale = ( {{ role = 1; method = "process";
  command = "{slow} -- --delay-us 0 --mark 1";
  min = 1; max = 2; out_above = 1000; in_below = 0; cooldown_ms = 500; }} );
"""


def through(chk, rig, flows, what):
    """One packet of each of @flows sent; whether each came out of port 1."""
    rig.send(flows)
    ok, st = rig.through(60)
    lost = rig.lost(flows)
    chk.ok(ok and not lost, f"frames go through {what}", f"lost {lost}; {rig.missed(st)}")


def one_instance(chk, rig, mgr, tag):
    """Wait for the policy's one running instance; its pid (or None)."""
    ok, p = opslib.wait_pol(mgr, lambda p: p.get("running") == 1, 30)
    u = next((u for u in opslib.alive(p) if u.get("state") == "running"), {})
    chk.ok(ok and u.get("pid") and mgrtest.pid_alive(u["pid"]),
           f"{tag}: one instance runs, a live process", str(p))
    ok, st = rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 15)
    chk.ok(ok, f"{tag}: the core has one instance attached",
           f"nfs_attached {st.get('nfs_attached')}")
    return u.get("pid")


def main():
    env = nvenv.setup("scale_crash", timeout=170, description=__doc__)
    chk = check.Checker("scale_crash")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, SLOW_BIN, "manager/netvm-manager",
                                      "manager/netvmctl"])
    rig = opslib.Rig(env, chk, "scr", CONFIG)

    chk.section("min: one host-process instance")
    mgr = opslib.manager(env, chk, rig.core, policy(env.binary(SLOW_BIN)))
    pid1 = one_instance(chk, rig, mgr, "min")
    through(chk, rig, list(range(1, 9)), "the first manager's instance")

    chk.section("crash: the manager killed (SIGKILL)")
    mgr.kill()
    deadline = time.monotonic() + 10
    while pid1 and mgrtest.pid_alive(pid1) and time.monotonic() < deadline:
        time.sleep(0.1)
    chk.ok(pid1 and not mgrtest.pid_alive(pid1), "crash: the instance's process ended with "
           "the manager", f"pid {pid1}")
    ok, st = rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    chk.ok(ok, "crash: the core detached it", f"nfs_attached {st.get('nfs_attached')}")

    chk.section("restart: a new manager starts its own instance")
    err = mgr.start_ready()
    if not chk.ok(err is None, "restart: netvm-manager starts again", err or ""):
        env.done(chk)
    pid2 = one_instance(chk, rig, mgr, "restart")
    chk.ok(pid2 != pid1, "restart: a new process", f"pid {pid2}, before {pid1}")
    time.sleep(2.0)
    st = rig.core.stats()
    chk.eq(st.get("nfs_attached"), 1, "restart: still one instance attached 2 s later")
    through(chk, rig, list(range(9, 17)), "the new manager's instance")

    chk.section("stop")
    opslib.finish(env, chk, rig, mgr)


if __name__ == "__main__":
    main()
