#!/usr/bin/env python3
"""dos_faults: a failure that lasts is logged once, and a victim's chain deleted during a mitigation stays deleted.

The core and the victim as in tests/ops/dos.py (chain "web" = [1], role 1
nf_slow); the manager's dos group with hold_ms long enough that a mitigation
lasts until the core's lists are cleared by hand.

  unwritable  <state_dir>/dos.rules is a directory when the attack comes: the
              rules file cannot be written, so the filter cannot start, tick
              after tick (every 200 ms) for 3 s. The manager logs the failure
              once (not once a tick) and counts each (netvmctl dos:
              failures); the directory removed, the filter starts, the chain
              becomes 9,1, and one line says the step works again
  deleted     the mitigation in force, the core's configuration is reloaded
              without chain "web" (its rule now sends port 0 along chain
              "other" = [1]): when the mitigation ends (the lists cleared by
              hand) the manager does not create "web" again (before, it set
              "web" back to 1); its log says it was skipped; the filter is
              stopped; legitimate traffic passes along "other"
  refused     a second manager whose filter is netvm-bridge (it starts, but
              has no "rules load"): a second source listed while the filter
              runs cannot be loaded into it, tick after tick; the refusal is
              logged once and each counted, the chain keeps the filter, and
              when the mitigation ends the failing step is said once more
  stuck       a third manager (boot_timeout_s = 2) whose filter never
              attaches (a script that sleeps): it is stopped after 2 s and
              started again, the log says so, the chain never gets the
              filter's role; the mitigation ends as usual
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import dos as dostest  # noqa: E402
import opslib  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

LEGIT = dostest.LEGIT
ATTACKER = dostest.ATTACKER
ATTACKER2 = "10.66.0.2"
BRIDGE_BIN = "apps/bridge/netvm-bridge"
# The DoS filter stand-in: the netlib options the manager gives, then the
# bridge's own --next in place of the firewall's "--rules FILE".
NO_LOAD_FILTER = """#!/bin/bash
args=()
for a in "$@"; do
  [[ $a == -- ]] && break
  args+=("$a")
done
exec {bridge} "${{args[@]}}" -- --next
"""
STUCK_FILTER = "#!/bin/sh\nexec sleep 600\n"


def case_unwritable(env, chk, rig, mgr, attack):
    chk.section("unwritable: dos.rules cannot be written, logged once, then once fixed")
    rules = os.path.join(mgr.state_dir, "dos.rules")
    os.mkdir(rules)
    flood = opslib.Flood(lambda i: rig.send(range(attack + 120 * i, attack + 120 * i + 120),
                                            src=ATTACKER))
    d = dostest.dos_state(mgr, lambda d: d.get("blocked") == [ATTACKER])
    flood.stop()
    attack += 120 * flood.n
    chk.eq(d.get("blocked"), [ATTACKER], "the attacker is listed: a mitigation begins")
    time.sleep(3)  # 15 ticks of the manager's loop
    d = dostest.dos_state(mgr, lambda d: True)
    failed = [x for x in mgr.stdout().splitlines() if f"dos: {rules}: Is a directory" in x]
    chk.ok(len(failed) == 1, "the failure to write dos.rules is logged once, not once a tick",
           f"{len(failed)} lines:\n" + "\n".join(failed[:4]))
    chk.ok((d.get("failures") or 0) >= 10, "every failure is counted (netvmctl dos: failures)",
           str(d.get("failures")))
    rc, text = mgr.netvmctl("dos", json_out=False)
    shown = re.search(r"; failed steps (\d+)$", text, re.M)
    chk.ok(rc == 0 and shown is not None and int(shown.group(1)) >= d.get("failures", 0),
           "netvmctl dos's text says how many steps failed", text)
    chk.ok(d.get("filter_pid") is None and not d.get("inserted"),
           "no filter meanwhile, the chain unchanged", str(d))
    os.rmdir(rules)
    d = dostest.dos_state(mgr, lambda d: d.get("inserted") and d.get("filter_pid"))
    chk.ok(d.get("inserted") is True and d.get("filter_pid") is not None,
           "the directory gone, the filter starts and goes in the chain", str(d))
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "9,1", "the chain is 9,1")
    log = mgr.stdout()
    chk.ok(log.count("dos: writing the rules file works again") == 1,
           "one line says the rules file is written again", mgr.tail(6))
    chk.eq(sum(f"dos: {rules}: Is a directory" in x for x in log.splitlines()), 1,
           "the failure still logged once in all")
    return attack


def case_deleted(env, chk, rig, mgr):
    chk.section("deleted: chain web deleted by a reload during the mitigation stays deleted")
    conf = env.path("other.conf")
    with open(conf, "w") as f:
        f.write(dostest.CONFIG.replace('"web"', '"other"'))
    rc, out = dostest.netvmctl_core(env, rig.core, "core", "reload", conf)
    chk.ok(rc == 0, "core reload: chain web gone, port 0 along chain other = 1", out)
    time.sleep(1)  # ticks of the manager with the chain gone
    chk.eq(dostest.chain_roles(env, rig.core, "web"), None, "the core has no chain web")
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear: nothing listed, the mitigation ends", out)
    d = dostest.dos_state(mgr, lambda d: d.get("ends") == 1)
    chk.eq(d.get("ends"), 1, "the mitigation ends")
    chk.ok(dostest.chain_roles(env, rig.core, "web") is None, "chain web is not created again",
           dostest.netvmctl_core(env, rig.core, "chain", "list")[1])
    chk.eq(dostest.chain_roles(env, rig.core, "other"), "1", "chain other is 1")
    chk.ok("dos: chain web was deleted during the mitigation: not set back to 1" in
           mgr.stdout(), "the manager logs the chain it did not set back", mgr.tail(4))
    chk.ok(d.get("filter_pid") is None and not d.get("active"), "the filter is stopped", str(d))
    opslib.check_passes(chk, rig, LEGIT, "legitimate traffic passes along chain other")


def flood_until(rig, mgr, src, attack, until):
    """Flood from @src until netvmctl dos's answer satisfies @until: (answer, next flow)."""
    flood = opslib.Flood(lambda i: rig.send(range(attack + 120 * i, attack + 120 * i + 120),
                                            src=src))
    d = dostest.dos_state(mgr, until)
    flood.stop()
    return d, attack + 120 * flood.n


def case_refused(env, chk, rig, attack):
    chk.section("refused: a rules load the filter refuses is logged once, counted, said at the end")
    conf = env.path("web.conf")
    with open(conf, "w") as f:
        f.write(dostest.CONFIG)
    rc, out = dostest.netvmctl_core(env, rig.core, "core", "reload", conf)
    chk.ok(rc == 0, "core reload: chain web = 1 again", out)
    wrapper = env.path("no-load-filter")
    with open(wrapper, "w") as f:
        f.write(NO_LOAD_FILTER.format(bridge=env.binary(BRIDGE_BIN)))
    os.chmod(wrapper, 0o755)
    mgr = opslib.manager(env, chk, rig.core, f"""dos = {{ src_pps = 500; hold_ms = 600000;
  chain = "web"; filter_role = 9; filter = "{wrapper}"; }};
""")
    d, attack = flood_until(rig, mgr, ATTACKER, attack,
                            lambda d: d.get("inserted") and d.get("filter_pid"))
    chk.ok(d.get("inserted") is True and d.get("filter_pid") is not None,
           "the first source: the filter (a bridge) starts and goes in the chain", str(d))
    before = d.get("failures") or 0
    d, attack = flood_until(rig, mgr, ATTACKER2, attack,
                            lambda d: ATTACKER2 in (d.get("blocked") or []))
    chk.ok(ATTACKER2 in (d.get("blocked") or []), "the second source is listed", str(d))
    time.sleep(3)  # 15 ticks, each trying the rules load again
    d = dostest.dos_state(mgr, lambda d: True)
    refused = [x for x in mgr.stdout().splitlines() if "dos: rules load into " in x]
    chk.ok(len(refused) == 1 and "unknown command" in refused[0],
           "the refused rules load is logged once, with the filter's answer",
           f"{len(refused)} lines:\n" + "\n".join(refused[:4]))
    chk.ok((d.get("failures") or 0) - before >= 10,
           "each refusal is counted (netvmctl dos: failures)", f"{before} -> {d.get('failures')}")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "9,1", "the chain keeps the filter")
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear: the mitigation ends", out)
    d = dostest.dos_state(mgr, lambda d: d.get("ends") == 1)
    chk.eq(d.get("ends"), 1, "the mitigation ends")
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1", "the chain is 1 again")
    log = mgr.stdout()
    chk.ok(sum("dos: rules load into " in x for x in log.splitlines()) == 2,
           "the step still failing is said once more when the mitigation ends", mgr.tail(6))
    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
    return attack


def gone(pid):
    """True once process @pid no longer exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def case_stuck(env, chk, rig, attack):
    chk.section("stuck: a filter that never attaches is stopped after boot_timeout_s, restarted")
    stuck = env.path("stuck-filter")
    with open(stuck, "w") as f:
        f.write(STUCK_FILTER)
    os.chmod(stuck, 0o755)
    mgr = opslib.manager(env, chk, rig.core, f"""dos = {{ src_pps = 500; hold_ms = 600000;
  chain = "web"; filter_role = 9; filter = "{stuck}"; }};
""", "boot_timeout_s = 2; restart_backoff_ms = 10;")
    d, attack = flood_until(rig, mgr, ATTACKER, attack, lambda d: d.get("filter_pid"))
    first = d.get("filter_pid")
    if not chk.ok(first is not None, "the source is listed, the filter started", str(d)):
        return attack
    d = dostest.dos_state(mgr, lambda d: d.get("filter_pid") not in (None, first), 15)
    second = d.get("filter_pid")
    chk.ok(second not in (None, first), "a new filter process is started",
           f"{first} -> {second}")
    chk.ok(gone(first), f"the first one (pid {first}) was stopped")
    said = [x for x in mgr.stdout().splitlines() if "not live after 2 s" in x]
    chk.ok(len(said) >= 1 and "dos-filter not live after 2 s (manager.boot_timeout_s): "
           "stopped, started again" in said[0], "the log says why", mgr.tail(6))
    chk.eq(dostest.chain_roles(env, rig.core, "web"), "1", "the chain never gets role 9")
    rc, out = dostest.netvmctl_core(env, rig.core, "dos", "clear")
    chk.ok(rc == 0, "netvmctl dos clear: the mitigation ends", out)
    d = dostest.dos_state(mgr, lambda d: d.get("ends") == 1)
    chk.eq(d.get("ends"), 1, "the mitigation ends")
    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
    chk.ok(all(gone(p) for p in (first, second) if p is not None),
           "no filter process is left", f"{first} {second}")
    return attack


def main():
    env = nvenv.setup("dos_faults", timeout=170, description=__doc__)
    chk = check.Checker("dos_faults")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, dostest.SLOW_BIN, dostest.FW_BIN, BRIDGE_BIN,
                                      "manager/netvm-manager", "manager/netvmctl"])
    rig = opslib.Rig(env, chk, "df", dostest.CONFIG)
    nf = dostest.victim(env, chk, rig)
    mgr = opslib.manager(env, chk, rig.core, f"""dos = {{ src_pps = 500; hold_ms = 600000;
  chain = "web"; filter_role = 9; filter = "{env.binary(dostest.FW_BIN)}"; }};
""")
    ok, st = rig.core.tel.wait_for(lambda s: s.get("dos_src_pps") == 500, 20)
    chk.ok(ok, "the manager set the core's detector (dos_src_pps 500)", str(st.get("dos_src_pps")))
    attack = case_unwritable(env, chk, rig, mgr, dostest.ATTACK_FLOW0)
    case_deleted(env, chk, rig, mgr)
    rc = mgr.stop(timeout=20)
    chk.eq(rc, 0, "netvm-manager exits 0")
    attack = case_refused(env, chk, rig, attack)
    case_stuck(env, chk, rig, attack)

    rc, _ = nf.stop_counters()
    chk.eq(rc, 0, "the victim NF exits 0")
    rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
