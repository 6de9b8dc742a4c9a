#!/usr/bin/env python3
"""dos_exit: a manager that exits during a mitigation takes the filter out of the chain first.

The core sends everything from port 0 along chain "web" = [1]; role 1 is
nf_slow (forwards to port 1). The manager's dos group (as tests/ops/dos.py,
hold_ms long enough that the mitigation lasts): one source at about 2000
packets/s is listed, the filter (netvm-firewall, role 9) goes in front of
"web" (9,1). Then, the attack still on:

  second    a second source floods while the filter runs: the manager adds it
            to the running filter and to <state_dir>/dos.rules, so the
            filter's `reload` (its rules file read again) keeps dropping both
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
  changed   a fourth manager mitigates; the chain is set to 1,2 by hand (as
            a core reload would set it): the manager puts the filter in
            front again (9,1,2), and at the end takes its role out and keeps
            the change (1,2)
  killed    a fifth manager mitigates and is killed (SIGKILL): the chain
            keeps the filter's role (9,1), the filter's process ends with it;
            a sixth manager takes the source still listed as its mitigation
            and, at its end (the lists cleared by hand), sets the chain back
            to 1 (not the 9,1 it found); killed in turn mid-mitigation, a
            seventh manager that finds the chain 9,1 and nothing listed sets
            it back at once; legitimate traffic passes
  never live  an eighth manager (restart_backoff_ms 1000, hold_ms 3000) whose
            filter program is not there: the filter exits at once each time;
            it is started again at most once per restart_backoff_ms (its log
            says when), the chain keeps its roles, and once the attacker has
            been quiet for hold_ms the mitigation ends all the same
"""

import os
import re
import shlex
import signal
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
ATTACKER2 = "10.66.0.2"
MISSING = "/nonexistent/netvm-firewall"  # a filter that cannot start
BACKOFF_MS = 1000


def dos_group(env):
    return f"""dos = {{ src_pps = 500; hold_ms = 600000; chain = "web"; filter_role = 9;
  filter = "{env.binary(dostest.FW_BIN)}"; }};
"""


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
           "the attacker blocked",
           f"{d} core: {dostest.netvmctl_core(env, rig.core, 'dos', 'list')} "
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


def second_source(env, chk, rig, mgr, d, attack):
    """A second source floods while the filter runs: blocked, written to
    dos.rules, and still dropped after the filter's reload. The next flow."""
    chk.section("second source: added to the running filter and to dos.rules")
    flood = opslib.Flood(lambda i: rig.send(range(attack + 120 * i, attack + 120 * i + 120),
                                            src=ATTACKER2))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rc, out = mgr.netvmctl("dos")
        d = out.get("dos", {}) if rc == 0 and isinstance(out, dict) else {}
        if ATTACKER2 in (d.get("blocked") or []):
            break
        time.sleep(0.1)
    flood.stop()
    attack += 120 * flood.n
    chk.eq(sorted(d.get("blocked") or []), sorted([ATTACKER, ATTACKER2]),
           "the manager blocks both sources")
    path = os.path.join(mgr.state_dir, "dos.rules")
    try:
        with open(path) as f:
            rules = f.read()
    except OSError as exc:
        rules = str(exc)
    chk.ok(all(f"stateless deny src host {a}\n" in rules for a in (ATTACKER, ATTACKER2)),
           f"{path} denies both sources (written when the second was added)", rules)
    rc, out = dostest.netvmctl_core(env, rig.core, "nf", "cmd", str(d.get("filter_nf_id")),
                                    "reload")
    chk.ok(rc == 0, "the filter reloads its rules file (nf cmd ID reload)", out)
    rig.through(60)
    first = attack
    rig.send(range(attack, attack + 20), src=ATTACKER2)
    rig.send(range(attack + 20, attack + 40), src=ATTACKER)
    attack += 40
    ok, _ = rig.through(60)
    chk.ok(ok, "every frame through or dropped")
    passed = [f for f in range(first, attack) if rig.got.get(f)]
    chk.eq(len(passed), 0, "after the reload both sources are still dropped")
    return d, attack


def case_sigterm(env, chk, rig, attack):
    chk.section("sigterm: the manager exits mid-mitigation, the chain is set back")
    mgr = opslib.manager(env, chk, rig.core, dos_group(env))
    d, attack = mitigate(env, chk, rig, mgr, attack)
    d, attack = second_source(env, chk, rig, mgr, d, attack)
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
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
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
    rc, out = dostest.netvmctl_core(env, rig.core, *words)
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


def killed_mid_mitigation(env, chk, rig, mgr, attack):
    """@mgr mitigates, then is killed: the chain keeps the filter, whose
    process ends with the manager. The next attack flow."""
    d, attack = mitigate(env, chk, rig, mgr, attack)
    mgr.send_signal(signal.SIGKILL)
    mgr.wait(20)
    chk.ok(d.get("filter_pid") and gone(d["filter_pid"]),
           "the filter's process ends with the killed manager", str(d.get("filter_pid")))
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "9,1",
           "the chain keeps the filter's role: nobody set it back")
    return attack


def wait_chain(env, rig, want, timeout=20.0):
    """Chain web's roles once they are @want, or after @timeout s."""
    deadline = time.monotonic() + timeout
    while dostest.chain_roles(env, rig.core, "web") != want and time.monotonic() < deadline:
        time.sleep(0.2)
    return dostest.chain_roles(env, rig.core, "web")


def case_changed(env, chk, rig, attack):
    chk.section("changed: a change of the chain during a mitigation is followed")
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear (the last attack forgotten)", out)
    mgr = opslib.manager(env, chk, rig.core, dos_group(env))
    d, attack = mitigate(env, chk, rig, mgr, attack)
    rc, out = dostest.netvmctl_core(env, rig.core, "chain", "set", "web", "1,2")
    chk.ok(rc == 0, "netvmctl chain set web 1,2 by hand: the filter is out", out)
    chk.eq(wait_chain(env, rig, "9,1,2"), "9,1,2",
           "the manager puts the filter in front of the changed chain again")
    chk.ok("chain web changed to 1,2 during the mitigation: the filter put in front again"
           in mgr.stdout(), "and logs it", mgr.tail(4))
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear: nothing listed, the mitigation ends", out)
    d = dostest.dos_state(mgr, lambda d: d.get("ends") == 1)
    chk.eq(d.get("ends"), 1, "the mitigation ends")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1,2",
           "the filter's role is taken out, the change made meanwhile kept")
    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
    rc, out = dostest.netvmctl_core(env, rig.core, "chain", "set", "web", "1")
    chk.ok(rc == 0, "netvmctl chain set web 1 (as before)", out)
    return attack


def case_killed(env, chk, rig, attack):
    chk.section("killed: the next manager sets back the chain a killed one left")
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear (the last attack forgotten)", out)
    attack = killed_mid_mitigation(env, chk, rig, opslib.manager(env, chk, rig.core,
                                                                 dos_group(env)), attack)
    mgr = opslib.manager(env, chk, rig.core, dos_group(env))
    d = dostest.dos_state(mgr, lambda d: d.get("inserted") and d.get("filter_pid"))
    chk.ok(d.get("blocked") == [ATTACKER] and d.get("inserted") is True,
           "the next manager takes the source still listed: its filter in the chain",
           f"{d}{mgr.tail(6)}")
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear: nothing listed, the mitigation ends", out)
    d = dostest.dos_state(mgr, lambda d: d.get("ends") == 1)
    chk.eq(d.get("ends"), 1, "the mitigation ends")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1",
           "the chain is 1 again, not the 9,1 the manager found")
    opslib.check_passes(chk, rig, LEGIT, "legitimate traffic passes")

    attack = killed_mid_mitigation(env, chk, rig, mgr, attack)
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear: nothing listed", out)
    mgr = opslib.manager(env, chk, rig.core, dos_group(env))
    chk.eq(wait_chain(env, rig, "1"), "1",
           "a manager that finds the chain 9,1 and nothing listed sets it back")
    chk.ok("nothing listed: chain web = 1 again" in mgr.stdout(), "and logs it", mgr.tail(4))
    opslib.check_passes(chk, rig, LEGIT, "legitimate traffic passes")
    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
    return attack


def log_ms(line):
    """The time of day of a manager log line (HH:MM:SS.mmm ...) in ms."""
    h, m, sec = line.split()[0].split(":")
    return (int(h) * 3600 + int(m) * 60) * 1000 + round(float(sec) * 1000)


def case_never_live(env, chk, rig, attack):
    chk.section("never live: a filter that cannot start is paced, the mitigation ends")
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear (the last attack forgotten)", out)
    mgr = opslib.manager(env, chk, rig.core, f"""dos = {{ src_pps = 500; hold_ms = 3000;
  chain = "web"; filter_role = 9; filter = "{MISSING}"; }};
""", manager_extra=f"restart_backoff_ms = {BACKOFF_MS};")
    rig.core.tel.wait_for(lambda s: s.get("dos_src_pps") == 500, 20)
    flood = opslib.Flood(lambda i: rig.send(range(attack + 120 * i, attack + 120 * i + 120),
                                            src=ATTACKER))
    d = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rc, out = mgr.netvmctl("dos")
        d = out.get("dos", {}) if rc == 0 and isinstance(out, dict) else {}
        if d.get("blocked") == [ATTACKER]:
            break
        time.sleep(0.1)
    flood.stop()
    attack += 120 * flood.n
    chk.eq(d.get("blocked"), [ATTACKER], "the attacker is listed: a mitigation begins")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rc, out = mgr.netvmctl("dos")
        d = out.get("dos", {}) if rc == 0 and isinstance(out, dict) else {}
        if d.get("ends") == 1:
            break
        time.sleep(0.2)
    chk.ok(d.get("ends") == 1 and not d.get("active") and d.get("filter_pid") is None,
           "quiet for hold_ms, the mitigation ends though the filter never went live",
           f"{d}{mgr.tail(6)}")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1", "the chain kept its roles")
    log = mgr.stdout().splitlines()
    starts = [log_ms(x) for x in log if "dos: starting dos-filter (pid " in x]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    chk.ok(len(starts) >= 2, "the filter was started again after it exited",
           "\n".join(log[-10:]))
    # a log line may come a few ms after the start it reports
    chk.ok(all(g >= BACKOFF_MS - 100 for g in gaps),
           f"its starts are at least restart_backoff_ms ({BACKOFF_MS} ms) apart", str(gaps))
    chk.ok(any(re.search(r"dos: dos-filter went down \(exited with status 127\): started "
                         r"again in \d+ ms \(manager.restart_backoff_ms\)", x) for x in log),
           "the log says when it is started again", "\n".join(log[-10:]))
    chk.ok(any("dos: mitigation ended: quiet for " in x for x in log),
           "the manager logs the end", "\n".join(log[-10:]))
    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
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
    attack = case_no_answer(env, chk, rig, attack)
    attack = case_changed(env, chk, rig, attack)
    attack = case_killed(env, chk, rig, attack)
    case_never_live(env, chk, rig, attack)

    rc, _ = nf.stop_counters()
    chk.eq(rc, 0, "the victim NF exits 0")
    rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
