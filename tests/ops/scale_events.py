#!/usr/bin/env python3
"""scale_events: what a scaling policy does when an instance dies, never goes live, or cannot be drained.

The core sends everything from port 0 to role 1 and places flows by hash
(core.placement = "hash"); the manager (restart_backoff_ms 500,
boot_timeout_s 3) has two policies of method "process":

  role 1    nf_slow (10 ms per packet), min 1, max 2
  role 2    a program that never attaches to the core (it sleeps), min 1
  role 4    the same (started again every boot_timeout_s)
  role 5    nf_slow (no delay), min 0, max 1: the frames from 10.9.0.0/16

Checks, as docs/operations.md §7 says (and docs/manager.md §6: a second
manager on the same socket refuses to start, and takes nothing of the
first's state directory):

  never live  role 2's instance is stopped after manager.boot_timeout_s
              ("r2-1 not live after 3 s (manager.boot_timeout_s): stopped",
              its process gone), and started again by the min rule
  died        role 1's instance killed (SIGKILL): "r1-1 went down: killed by
              signal 9", then "below min: starting r1-1": a new process
              attached as the role's instance, traffic passes again
  failures    role 4's next start fails (its log a dangling symlink: "No such
              file or directory"), then fails another way (a symlink to a
              directory: "Is a directory"), then succeeds (a file): the
              first line of each failure, and when it ends (another failure,
              a start) a line "... (the same N more times since the last
              line)" with that failure's own repeats; every failed start
              (start_failures) is in one line or another's count
  hash        under load role 1 grows to 2 instances; the traffic stops: the
              scale-in cannot drain ("instance drain" needs core.placement =
              "load"), so the instance is stopped at once and the decision
              says why; netvmctl instance drain by hand is refused the same way
  zero        role 5 starts with no instance and nothing starts it while no
              packet is for it; 16 packets for it are dropped, each counted
              in role5_no_instance (as much as drop_no_instance rises); the
              policy then starts one ("scale from zero: 16 packets ..."),
              counted as a scale-out, and packets pass; with no traffic it
              is scaled in to 0 and stays there until packets for the role
              come again, which start it again: they come within its
              cooldown_ms (6 s) of the scale-in, one burst, and the start
              waits for the cooldown's end (the rise is not forgotten)
"""

import errno
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import opslib  # noqa: E402
import mgrtest  # noqa: E402  (tests/manager, on opslib's path)
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

SLOW_BIN = "tests/functional/nf_slow"
CONFIG = """core = { buffer_size = 4096; ring_size = 4096; placement = "hash"; };
rules = ( { in_port = 0; src = "10.9.0.0/16"; role = 5; }, { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
BOOT_S = 3
MISSING = "/nonexistent/netvm-nf"  # a policy whose program is not there


def policies(slow, sleeper):
    return f"""scale = (
  {{ role = 1; method = "process"; command = "{slow} -- --delay-us 10000 --mark 1";
    min = 1; max = 2; out_above = 16; in_below = 2; out_hold_ms = 1000; in_hold_ms = 2000;
    cooldown_ms = 500; drain_ms = 15000; }},
  {{ role = 2; method = "process"; command = "{sleeper}"; min = 1; max = 1; }},
  {{ role = 3; method = "process"; command = "{MISSING}"; min = 1; max = 1; }},
  {{ role = 4; method = "process"; command = "{sleeper}"; min = 1; max = 1; }},
  {{ role = 5; method = "process"; command = "{slow} -- --mark 5"; min = 0; max = 1;
    in_hold_ms = 1000; cooldown_ms = 6000; }} );
"""


def wait_pol(mgr, i, pred, timeout):
    """Wait until pred(policy @i): (True, policy) or (False, the last seen)."""
    deadline = time.monotonic() + timeout
    p = {}
    while time.monotonic() < deadline:
        p = opslib.pol(mgr, i)
        if p and pred(p):
            return True, p
        time.sleep(0.1)
    return False, p


def decided(p, text):
    return [d for d in p.get("decisions", []) if text in d]


def case_never_live(chk, mgr):
    chk.section("never live: stopped after boot_timeout_s, started again")
    ok, p = wait_pol(mgr, 1, lambda p: opslib.alive(p) and opslib.alive(p)[0].get("pid"), 20)
    pid = opslib.alive(p)[0].get("pid") if ok else None
    chk.ok(ok and opslib.alive(p)[0]["state"] == "starting", "r2-1 starts (not live: it never "
           "attaches)", str(p))
    want = f"r2-1 not live after {BOOT_S} s (manager.boot_timeout_s): stopped"
    ok, p = wait_pol(mgr, 1, lambda p: decided(p, want), BOOT_S + 30)
    chk.ok(ok, "the decision says it was not live within manager.boot_timeout_s",
           str(p.get("decisions")))
    chk.ok(pid is not None and not mgrtest.pid_alive(pid), "its process is gone", str(pid))
    ok, p = wait_pol(mgr, 1, lambda p: len(decided(p, "below min: starting r2-1")) >= 2,
                     30)
    chk.ok(ok, "the min rule starts it again", str(p.get("decisions")))
    chk.eq(p.get("running"), 0, "role 2 has no running instance (none went live)")


def case_died(env, chk, rig, mgr):
    chk.section("died: an instance killed, the min rule starts another")
    ok, p = wait_pol(mgr, 0, lambda p: p["running"] == 1, 30)
    u = opslib.alive(p)[0] if ok else {}
    chk.ok(ok and u.get("pid") and u.get("nf_id") is not None, "r1-1 runs", str(p))
    if not ok:
        return
    os.kill(u["pid"], signal.SIGKILL)
    ok, p = wait_pol(mgr, 0, lambda p: p["running"] == 1 and opslib.alive(p) and
                     opslib.alive(p)[0].get("pid") != u["pid"], 30)
    chk.ok(ok, "a new instance runs", str(p))
    chk.ok(decided(p, "r1-1 went down: ") and
           "signal 9" in decided(p, "r1-1 went down: ")[0],
           "the decision says r1-1 went down (killed by signal 9)", str(p.get("decisions")))
    chk.ok(decided(p, "below min: starting r1-1"), "then: below min, starting r1-1",
           str(p.get("decisions")))
    n = opslib.alive(p)[0] if ok else {}
    chk.ok(n.get("pid") != u["pid"] and n.get("nf_id") is not None,
           f"a new process (pid {u['pid']} -> {n.get('pid')}), instance {n.get('nf_id')}",
           str(n))
    rig.send(range(200000, 200016))
    ok, st = rig.through(60)
    chk.ok(ok and not rig.lost(range(200000, 200016)), "traffic passes through it",
           str(rig.lost(range(200000, 200016))))


def log_to(path, target):
    """Make @path (atomically) a symlink to @target, or a file when None."""
    tmp = path + ".new"
    if target is None:
        with open(tmp, "w"):
            pass
    else:
        os.symlink(target, tmp)
    os.replace(tmp, path)


def case_failures(env, chk, mgr):
    chk.section("failures: each failure's repeats counted on its own line")
    log = os.path.join(mgr.state_dir, "r4-1.log")
    fail = f"below min: starting r4-1 failed: r4-1: {log}: "
    enoent, eisdir = os.strerror(errno.ENOENT), os.strerror(errno.EISDIR)
    ok, p = wait_pol(mgr, 3, lambda p: decided(p, "below min: starting r4-1 (process)"), 30)
    chk.ok(ok, "r4-1 starts (and again every boot_timeout_s: it never attaches)", str(p))
    before = len(mgr.stdout().splitlines())
    log_to(log, "/nonexistent/r4-1.log")
    ok, p = wait_pol(mgr, 3, lambda p: p.get("start_failures", 0) >= 3, 30)
    chk.ok(ok and decided(p, fail + enoent), f"its next starts fail: {enoent}", str(p))
    os.makedirs(env.path("a-directory"), exist_ok=True)
    log_to(log, env.path("a-directory"))
    ok, p = wait_pol(mgr, 3, lambda p: decided(p, fail + eisdir), 30)
    n = p.get("start_failures", 0)
    ok, p = wait_pol(mgr, 3, lambda p: p.get("start_failures", 0) >= n + 3, 30)
    chk.ok(ok, f"then it fails otherwise: {eisdir}", str(p))
    log_to(log, None)

    def lines():
        """Role 4's start lines from its first failure on (after @before)."""
        mine = [x.split("scale role 4: ", 1)[1] for x in mgr.stdout().splitlines()[before:]
                if "scale role 4: below min: starting r4-1" in x]
        first = next((i for i, x in enumerate(mine) if x.startswith(fail)), len(mine))
        return mine[first:]
    chk.ok(wait_true(lambda: "below min: starting r4-1 (process)" in lines(), 30),
           "then it starts", str(lines()))
    same = re.compile(r"^(.*) \(the same (\d+) more times since the last line\)$")
    seen = []  # (failure, count) per line
    for x in lines():
        m = same.match(x)
        seen.append((m.group(1), int(m.group(2))) if m else (x, 0))
    want = [(fail + enoent, 0), (fail + enoent, "N"), (fail + eisdir, 0), (fail + eisdir, "N"),
            ("below min: starting r4-1 (process)", 0)]
    got = [(w, c if c == 0 else "N") for w, c in seen][:5]
    chk.eq(got, want, "the lines: each failure, its repeats on its own line when it ends, "
           "then the start")
    # within a minute a line with a count ends a quiet: it is not a failure itself
    failed = sum(c if c else 1 for w, c in seen if w.startswith(fail))
    chk.eq(failed, opslib.pol(mgr, 3).get("start_failures"),
           "every failed start is in the log: a line or a line's count (start_failures)")


def case_hash(env, chk, rig, mgr):
    chk.section("hash: a scale-in cannot drain, the instance is stopped at once")
    # ~600 packets/s in flows of 5 packets
    p = opslib.flows(rig, mgr, lambda p: p.get("running") == 2, 60, period=0.05)
    reached = p.get("running") == 2
    chk.ok(reached, "under load role 1 grows to 2 instances", str(opslib.pol(mgr, 0)))
    p = opslib.pol(mgr, 0)
    newest = max(opslib.alive(p), key=lambda u: u["name"], default={})
    res = subprocess.run([env.binary("manager/netvmctl"), "-c", rig.core.sock, "instance",
                          "drain", str(newest.get("nf_id"))],
                         capture_output=True, text=True, timeout=30)
    chk.ok(res.returncode == 1 and 'needs core.placement = "load"' in res.stderr,
           "netvmctl instance drain is refused with hash placement, saying why",
           f"status {res.returncode}: {res.stderr.strip()}")
    ok, st = rig.through(90)
    chk.ok(ok, "every frame is through", f"port0_rx {st.get('port0_rx')} of {rig.inj.sent}")
    ok, p = wait_pol(mgr, 0, lambda p: len(opslib.alive(p)) == 1 and p["running"] == 1, 60)
    chk.ok(ok, "back to one instance", str(p))
    refused = decided(p, "refused (")
    chk.ok(refused and "stopping it now" in refused[0] and
           'needs core.placement = "load"' in refused[0],
           "the scale-in decision says the drain was refused and why, and stops it now",
           str(p.get("decisions")))
    chk.ok(not decided(p, "drained"), "nothing was drained", str(p.get("decisions")))
    chk.ok(newest.get("pid") and not mgrtest.pid_alive(newest["pid"]),
           f"{newest.get('name')}'s process is gone", str(newest))


def case_missing(chk, mgr):
    chk.section("a program that is not there: the instance's log says why")
    want = f"netvm-manager: r3-1: cannot run {MISSING}: No such file or directory"
    path = os.path.join(mgr.state_dir, "r3-1.log")

    def said():
        try:
            with open(path) as f:
                return want in f.read()
        except OSError:
            return False
    chk.ok(wait_true(said, 20), f"{path} holds '{want}'", str(os.listdir(mgr.state_dir)))


def case_zero(chk, rig, mgr):
    chk.section("zero: a policy with min 0 starts an instance when packets for its role come")
    zero = "scale from zero: "
    p = opslib.pol(mgr, 4)
    chk.ok(p.get("role") == 5 and not opslib.alive(p) and not decided(p, zero),
           "role 5 has no instance: no packet came for it", str(p))
    src = [(f, f"10.9.0.{f & 255}") for f in range(300000, 300016)]
    st0 = rig.core.stats()
    rig.send_from(src)
    ok, st = rig.through(60)
    chk.ok(ok, "its 16 packets are through the core", rig.missed(st))
    rose = st.get("role5_no_instance", 0) - st0.get("role5_no_instance", 0)
    chk.eq(rose, 16, "each is dropped for want of an instance: role5_no_instance rises by 16")
    chk.eq(st.get("drop_no_instance", 0) - st0.get("drop_no_instance", 0), rose,
           "... as much as drop_no_instance")
    ok, p = wait_pol(mgr, 4, lambda p: p.get("running") == 1, 30)
    # the 16 may fall into two of the manager's reads: the first rise decides
    said = [int(m.group(1)) for d in decided(p, zero)
            for m in [re.match(zero + r"(\d+) packets for the role dropped "
                               r"\(role5_no_instance\)", d)] if m]
    chk.ok(ok and said and 1 <= said[0] <= 16 and
           decided(p, "0 -> 1 instances: starting r5-1 (process)"),
           "the policy starts one, and the decision says why", str(p.get("decisions")))
    chk.eq(p.get("scale_outs"), 1, "counted as a scale-out")
    rig.send_from(src)
    rig.through(60)
    chk.eq({f: len(rig.got[f]) for f, _ in src}, {f: 1 for f, _ in src},
           "then packets for the role pass: the second packet of each flow comes out")
    ok, p = wait_pol(mgr, 4, lambda p: not opslib.alive(p), 60)
    chk.ok(ok and decided(p, "scale in: "), "with no traffic it is scaled in to 0",
           str(p.get("decisions")))
    time.sleep(2)  # ten of the manager's reads with no packet for the role
    p = opslib.pol(mgr, 4)
    chk.ok(not opslib.alive(p) and len(decided(p, zero)) == 1,
           "it stays at 0 while no packet comes for the role", str(p.get("decisions")))
    rig.send_from(src)  # one burst, within cooldown_ms of the scale-in
    ok, p = wait_pol(mgr, 4, lambda p: len(decided(p, zero)) == 2 and opslib.alive(p), 30)
    chk.ok(ok, "packets for the role again, within cooldown_ms: started once it is over",
           str(p.get("decisions")))


def wait_true(pred, timeout):
    """Whether @pred() holds within @timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def main():
    env = nvenv.setup("scale_events", timeout=230, description=__doc__)
    chk = check.Checker("scale_events")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, SLOW_BIN, "manager/netvm-manager",
                                      "manager/netvmctl"])
    sleeper = env.path("never-attaches.sh")
    with open(sleeper, "w") as f:
        f.write("#!/bin/sh\n# an NF that never attaches to the core\nexec sleep 600\n")
    os.chmod(sleeper, 0o755)
    rig = opslib.Rig(env, chk, "se", CONFIG)
    mgr = opslib.manager(env, chk, rig.core, policies(env.binary(SLOW_BIN), sleeper),
                         manager_extra=f"restart_backoff_ms = 500; boot_timeout_s = {BOOT_S};")
    chk.section("second manager: refused, nothing of the first's taken")
    opslib.second_refused(env, chk, mgr)
    case_never_live(chk, mgr)
    case_failures(env, chk, mgr)
    case_died(env, chk, rig, mgr)
    case_hash(env, chk, rig, mgr)
    case_missing(chk, mgr)
    case_zero(chk, rig, mgr)
    opslib.finish(env, chk, rig, mgr)


if __name__ == "__main__":
    main()
