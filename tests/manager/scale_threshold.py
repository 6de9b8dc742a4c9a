#!/usr/bin/env python3
"""scale_threshold: a scaling policy's mean load at out_above, and just above it.

No core, no guest: the core's telemetry is played by the test, and the
policy's instances (method "process") are a script that only sleeps; the
telemetry shows each of them as a live instance of role 1 (its nf<I>_pid
the script's pid) with the load the test gives it. The policy: min 2,
max 3, out_above 32, in_below 0, out_hold_ms and cooldown_ms 0.

  at       loads 32 and 32: the mean is out_above, not above it: no
           scale-out for 2 s
  above    loads 32 and 33: the mean, 32.5, is above out_above (its whole
           part is not): a third instance starts, the decision says
           "mean load 32.50 > out_above 32"

Needs root (the telemetry directory under /var/run/dpdk).
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Proc  # noqa: E402
from nvtest.telemetry import FakeServer  # noqa: E402

# an instance that never attaches (the test's telemetry says it did); its
# command line names the script, as nf_pids() looks for it
FAKE_NF = "#!/usr/bin/python3\nimport time\ntime.sleep(600)\n"


def nf_pids(script):
    """The pids of the processes running @script, lowest first."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if script.encode() in args[:2]:
            pids.append(int(d))
    return sorted(pids)


class Stats:
    """/netvm/stats of a core whose role-1 instances are the fake NFs, the first
    two with loads self.loads, any other with load 0."""

    def __init__(self, script):
        self.script, self.loads = script, (32, 32)

    def __call__(self):
        st = {}
        for i, pid in enumerate(nf_pids(self.script)):
            load = self.loads[i] if i < len(self.loads) else 0
            st.update({f"nf{i}_pid": pid, f"nf{i}_live": 1, f"nf{i}_role": 1,
                       f"nf{i}_load": load, f"nf{i}_rx": 0, f"nf{i}_tx": 0,
                       f"nf{i}_flows": 0})
        return st


def policy(ctl, sock):
    """The policy of `netvmctl --json scale list`, or {}."""
    r = subprocess.run([ctl, "-s", sock, "--json", "scale", "list"], capture_output=True,
                       text=True, timeout=30)
    try:
        return json.loads(r.stdout)["policies"][0]
    except (ValueError, KeyError, IndexError):
        return {}


def wait_policy(ctl, sock, pred, timeout):
    """Poll the policy until pred(policy); (True, policy) or (False, the last one)."""
    deadline = time.monotonic() + timeout
    while True:
        p = policy(ctl, sock)
        if p and pred(p):
            return True, p
        if time.monotonic() >= deadline:
            return False, p
        time.sleep(0.1)


def main():
    env = nvenv.setup("scale_threshold", timeout=120, description=__doc__)
    chk = check.Checker("scale_threshold")
    nvenv.require_root(chk)
    nvenv.require_binaries(env, chk, [mgrtest.MANAGER_BIN, mgrtest.NETVMCTL_BIN])
    prefix = env.unique("scthr")
    teldir = os.path.join("/var/run/dpdk", prefix)
    os.makedirs(teldir, exist_ok=True)
    env.add_cleanup(lambda: shutil.rmtree(teldir, ignore_errors=True))
    script = env.path("fake-nf")
    with open(script, "w") as f:
        f.write(FAKE_NF)
    os.chmod(script, 0o755)
    stats = Stats(script)
    FakeServer(os.path.join(teldir, "dpdk_telemetry.v2"), {"/netvm/stats": stats},
               max_output_len=65536)

    sock = env.path("manager.sock")
    conf = env.path("manager.conf")
    with open(conf, "w") as f:
        f.write(f'manager = {{ socket = "{sock}"; state_dir = "{env.path("st")}";\n'
                '  restart_backoff_ms = 100; };\n'
                f'core = {{ socket = "{env.path("core.sock")}"; file_prefix = "{prefix}"; }};\n'
                "vms = ( );\n"
                f'scale = ( {{ role = 1; command = "{script}"; min = 2; max = 3;\n'
                "  out_above = 32; in_below = 0; out_hold_ms = 0; cooldown_ms = 0; } );\n")
    mgr = Proc(env, "manager", [env.binary(mgrtest.MANAGER_BIN), "-c", conf])
    mgr.start()
    ctl = env.binary(mgrtest.NETVMCTL_BIN)

    chk.section("at: loads 32 and 32, the mean at out_above")
    ok, p = wait_policy(ctl, sock, lambda p: p.get("running") == 2, 20)
    chk.ok(ok, "two instances run (min 2)", f"{p}{mgr.tail()}")
    time.sleep(2)
    p = policy(ctl, sock)
    chk.ok(p.get("scale_outs") == 0 and p.get("mean_load") == 32,
           "no scale-out at mean load 32 = out_above 32 for 2 s",
           f"{p.get('scale_outs')} scale-outs, mean {p.get('mean_load')}: {p.get('decisions')}")

    chk.section("above: loads 32 and 33, the mean 32.5 above out_above")
    stats.loads = (32, 33)
    ok, p = wait_policy(ctl, sock, lambda p: p.get("scale_outs") == 1, 5)
    chk.ok(ok, "a scale-out at mean load 32.5 > out_above 32",
           f"{p.get('scale_outs')} scale-outs, mean {p.get('mean_load')}: {p.get('decisions')}")
    chk.ok(any("scale out: mean load 32.50 > out_above 32" in d
               for d in p.get("decisions", [])),
           "the decision says the mean, 32.50", str(p.get("decisions")))
    ok, p = wait_policy(ctl, sock, lambda p: p.get("running") == 3, 10)
    chk.ok(ok, "the third instance runs", str(p))

    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
    chk.eq(nf_pids(script), [], "the instances are stopped with it")
    env.done(chk)


if __name__ == "__main__":
    main()
