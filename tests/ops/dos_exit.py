#!/usr/bin/env python3
"""dos_exit: a manager that exits during a mitigation takes the filter out of the chain first.

The core sends everything from port 0 along chain "web" = [1]; role 1 is
nf_slow (forwards to port 1). The manager's dos group (as tests/ops/dos.py,
hold_ms long enough that the mitigation lasts): one source at about 2000
packets/s is listed, the filter (netvm-firewall, role 9) goes in front of
"web" (9,1). Then, the attack still on:

  dies      the filter's process killed (SIGKILL): the manager starts it again
            with every listed source; the chain keeps it; the attacker's
            later packets are dropped
  sigterm   then netvm-manager gets SIGTERM: it exits 0, the chain is "1" again
            (docs/operations.md §9: the chain set back first, then the
            filter stopped), the filter's process is gone and its instance
            detached, legitimate traffic passes (nothing dropped for a
            missing instance), the attacker too (nothing filters it now)
  unreachable  a second manager mitigates; the core's command socket is
            moved away when it gets SIGTERM, so the chain cannot be set back:
            it exits all the same, its log says why and names the command
            that restores the chain ("netvmctl chain set web 1"), the filter's
            process is gone; the chain is still 9,1 and drops
            (drop_no_instance) until that command, run as logged, restores it
  no answer a third manager mitigates; the core is stopped (SIGSTOP) when it
            gets SIGTERM: after 5 s without an answer it exits, its log says
            the core may still make the change and names the command; the
            core resumed runs the command whose client went away, the chain
            is 1 again
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import dos as dostest  # noqa: E402
import mgrtest  # noqa: E402  (tests/manager, on opslib's path)
import opslib  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

LEGIT = dostest.LEGIT
ATTACKER = dostest.ATTACKER


def dos_group(env):
    return f"""dos = {{ src_pps = 500; hold_ms = 600000; chain = "web"; filter_role = 9;
  filter = "{env.binary(dostest.FW_BIN)}"; }};
"""


def netvmctl_core(env, core, *words):
    """netvmctl's answer to a core command: (exit status, its output)."""
    res = subprocess.run([env.binary("manager/netvmctl"), "-c", core.sock] + list(words),
                         capture_output=True, text=True, timeout=30)
    return res.returncode, res.stdout + res.stderr


def mitigate(env, chk, rig, mgr, attack):
    """Attack from ATTACKER until the chain is 9,1 and the filter runs:
    (netvmctl dos's answer, the next attack flow)."""
    t0 = time.monotonic()
    d = {}
    # about 1200 packets/s in bursts of 120, whatever the polling below costs
    flood = opslib.Flood(lambda i: rig.send(range(attack + 120 * i, attack + 120 * i + 120),
                                            src=ATTACKER))
    while time.monotonic() - t0 < 30:
        rig.send(LEGIT)
        rig.collect()
        if dostest.chain_roles(env, rig.core, "web") == "9,1":
            rc, out = mgr.netvmctl("dos")
            d = out.get("dos", {}) if rc == 0 and isinstance(out, dict) else {}
            if d.get("inserted") and d.get("filter_pid"):
                break
        time.sleep(0.1)
    flood.stop()
    attack += 120 * flood.n
    chk.ok(d.get("inserted") is True and d.get("filter_pid") is not None and
           d.get("blocked") == [ATTACKER], "mitigation in force: chain 9,1, the filter runs, "
           "the attacker blocked", f"{d} core: {netvmctl_core(env, rig.core, 'dos', 'list')} "
           f"{ {k: v for k, v in rig.core.stats().items() if k.startswith('dos')} }"
           f"{mgr.tail(8)}")
    return d, attack


def gone(pid, timeout=10.0):
    """Wait until process @pid is gone (or a zombie): True when it is."""
    deadline = time.monotonic() + timeout
    while mgrtest.pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def filter_dies(env, chk, rig, mgr, d, attack):
    """The filter killed mid-mitigation is started again with every entry;
    the attack is dropped again. (netvmctl dos's answer, the next flow)."""
    chk.section("filter dies: started again, the attack dropped again")
    old = d.get("filter_pid")
    # nothing in flight: what a killed NF held is reclaimed, not dropped
    ok, _ = rig.through(60)
    chk.ok(ok, "every frame through or dropped before the filter is killed")
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rc, out = mgr.netvmctl("dos")
        d = out.get("dos", {}) if rc == 0 and isinstance(out, dict) else {}
        if d.get("filter_pid") not in (None, old) and d.get("filter_nf_id") is not None:
            break
        time.sleep(0.1)
    chk.ok(d.get("filter_pid") not in (None, old) and d.get("filter_nf_id") is not None and
           d.get("inserted") is True, "a new filter process runs, the chain keeps it",
           str(d))
    chk.ok(re.search(r"dos: dos-filter went down \(.*\): started again", mgr.stdout()),
           "the manager logs the filter's end and its restart", mgr.tail(6))
    ok, st = rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 2, 30)
    chk.ok(ok, "the new filter is attached", str(st.get("nfs_attached")))
    first = attack
    rig.send(range(attack, attack + 40), src=ATTACKER)
    attack += 40
    ok, st = rig.through(60)
    passed = [f for f in range(first, attack) if rig.got.get(f)]
    chk.eq(len(passed), 0, "the attack is dropped by the new filter (its rules: every entry)")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "9,1", "the chain is still 9,1")
    return d, attack


def case_sigterm(env, chk, rig, attack):
    chk.section("sigterm: the manager exits mid-mitigation, the chain is set back")
    mgr = opslib.manager(env, chk, rig.core, dos_group(env))
    d, attack = mitigate(env, chk, rig, mgr, attack)
    d, attack = filter_dies(env, chk, rig, mgr, d, attack)
    rc = mgr.stop(signal.SIGTERM, timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0 on SIGTERM during a mitigation")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1", "the chain is 1 again")
    chk.ok(d.get("filter_pid") and gone(d["filter_pid"]), "the filter's process is gone",
           str(d.get("filter_pid")))
    ok, st = rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 15)
    chk.ok(ok, "the filter's instance detached: only the victim attached",
           str(st.get("nfs_attached")))
    log = mgr.stdout()
    chk.ok("mitigation in force" in log and "at exit" not in log,
           "the manager logged the mitigation and no failure at exit", mgr.tail(6))

    rig.through(60)  # what was sent before is out, or dropped
    no_inst = rig.core.stats().get("drop_no_instance", 0)
    legit_mark = {f: rig.sent[f] for f in LEGIT}
    got_mark = {f: len(rig.got[f]) for f in LEGIT}
    first = attack
    for _ in range(5):
        rig.send(LEGIT)
        rig.send(range(attack, attack + 4), src=ATTACKER)
        attack += 4
        time.sleep(0.02)
    ok, st = rig.through(60)
    chk.ok(ok, "every frame through or dropped")
    missing = {f: (rig.sent[f] - legit_mark[f]) - (len(rig.got[f]) - got_mark[f])
               for f in LEGIT}
    chk.ok(all(v == 0 for v in missing.values()), "legitimate traffic passes after the exit",
           str(missing))
    chk.eq(st.get("drop_no_instance", 0) - no_inst, 0, "nothing dropped for a missing instance")
    passed = [f for f in range(first, attack) if rig.got.get(f)]
    chk.eq(len(passed), attack - first, "the attacker passes too: nothing filters it any more")
    return attack


def exit_mid_mitigation(env, chk, rig, attack, cut, mend):
    """A fresh manager mitigates; cut() runs, the manager gets SIGTERM, mend()
    runs. Checks the exit and the filter's end: (its log, the next attack flow)."""
    rc, out = netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear (the last attack forgotten)", out)
    mgr = opslib.manager(env, chk, rig.core, dos_group(env))
    d, attack = mitigate(env, chk, rig, mgr, attack)
    cut()
    try:
        t0 = time.monotonic()
        rc = mgr.stop(signal.SIGTERM, timeout=60)
        secs = time.monotonic() - t0
    finally:
        mend()
    chk.eq(rc, 0, "netvm-manager exits 0 on SIGTERM")
    print(f"dos_exit: the manager took {secs:.1f} s to exit", flush=True)
    chk.ok(d.get("filter_pid") and gone(d["filter_pid"]), "the filter's process is gone",
           str(d.get("filter_pid")))
    ok, st = rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 15)
    chk.ok(ok, "the filter's instance detached", str(st.get("nfs_attached")))
    return mgr.stdout(), attack


def logged_restore(chk, log, why):
    """The command the log names to restore the chain after @why, or None."""
    m = re.search(r"dos: at exit, taking the filter out of chain web: .*\(" + why +
                  r".*: (netvmctl chain set web [0-9,]+)\)", log)
    chk.ok(m is not None and m.group(1) == "netvmctl chain set web 1",
           "the log says the chain was not set back and names the command that does it",
           log[-600:])
    return shlex.split(m.group(1))[1:] if m else ["chain", "set", "web", "1"]


def case_unreachable(env, chk, rig, attack):
    chk.section("unreachable: the core's command socket gone at exit, restored by hand")
    ctl = rig.core.sock + ".ctl"
    log, attack = exit_mid_mitigation(env, chk, rig, attack,
                                      lambda: os.rename(ctl, ctl + ".away"),
                                      lambda: os.rename(ctl + ".away", ctl))
    chk.ok("cannot reach the core engine's command socket" in log, "the log says why",
           log[-600:])
    words = logged_restore(chk, log, "the chain drops until it is set by hand")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "9,1",
           "the chain still has the filter (as logged)")
    rig.through(60)
    no_inst = rig.core.stats().get("drop_no_instance", 0)
    rig.send(LEGIT)
    ok, st = rig.through(60)
    chk.eq(st.get("drop_no_instance", 0) - no_inst, len(LEGIT),
           "until it is restored the chain drops (drop_no_instance)")
    rc, out = netvmctl_core(env, rig.core, *words)
    chk.ok(rc == 0, "the logged command is accepted", out)
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1", "the chain is 1 again")
    opslib.check_passes(chk, rig, LEGIT, "legitimate traffic passes again")
    return attack


def case_no_answer(env, chk, rig, attack):
    chk.section("no answer: the core stopped at exit, it makes the change when it resumes")
    log, attack = exit_mid_mitigation(env, chk, rig, attack,
                                      lambda: rig.core.send_signal(signal.SIGSTOP),
                                      lambda: rig.core.send_signal(signal.SIGCONT))
    logged_restore(chk, log, "the core may still make the change")
    t0 = time.monotonic()
    while dostest.chain_roles(env, rig.core, "web") != "1" and time.monotonic() - t0 < 20:
        time.sleep(0.2)
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1", "resumed, the core runs the "
           "command whose client went away (docs/control.md): the chain is 1 again")
    opslib.check_passes(chk, rig, LEGIT, "legitimate traffic passes")
    return attack


def main():
    env = nvenv.setup("dos_exit", timeout=290, description=__doc__)
    chk = check.Checker("dos_exit")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, dostest.SLOW_BIN, dostest.FW_BIN,
                                      "manager/netvm-manager", "manager/netvmctl"])
    rig = opslib.Rig(env, chk, "dx", dostest.CONFIG)
    nf = dostest.victim(env, chk, rig)
    attack = case_sigterm(env, chk, rig, dostest.ATTACK_FLOW0)
    attack = case_unreachable(env, chk, rig, attack)
    case_no_answer(env, chk, rig, attack)

    rc, _ = nf.stop_counters()
    chk.eq(rc, 0, "the victim NF exits 0")
    rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
