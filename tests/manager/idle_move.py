#!/usr/bin/env python3
"""idle_move: an NF moved from one idle VM to another with its state (nf move).

  nvA-<pid> 10.0.1.2/24 ── port 0 ── core engine (role 1) ── port 1 ── nvB-<pid> 10.0.2.2/24
                                       │
             idle0: netvm-l3fwd (LPM) ──nf move──> idle1: netvm-l3fwd, routes handed over

  start     netvm-l3fwd provisioned into an idle VM with a one-route file; the routes
            to both namespaces added at runtime (nf cmd ID routes add): ping passes
  move      nf move ID --state "routes list" "routes load" while A pings B every 10 ms:
            a new instance in the other VM, its routes the old one's (routes list),
            the old instance gone with every buffer back, its VM retired; ping
            passes after it; frames sent and answered around the move are printed
  refused   nf move with a LOAD command the NF refuses: a clear error, the NF runs on
            where it was (ping passes), the new instance stopped, nothing leaked

Needs root, hugepages, iproute2, ping and the guest image (skipped, 77, without it).
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "vm"))

import idle_vm  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

ROLE = idle_vm.ROLE
L3FWD = (f"sh -c 'echo 10.9.9.0/24 0 >/tmp/routes; exec /bin/netvm-l3fwd --transport uio "
         f"-r {ROLE} -- --mode lpm --routes /tmp/routes'")
MOVE_PINGS = 500          # 5 s at one every 10 ms
PING_RE = re.compile(r"(\d+) packets transmitted, (\d+) received")


def nf_cmd(mgr, core, nf, *words):
    """netvmctl nf cmd NF WORDS...; (exit status, answer text)."""
    rc, out = mgr.netvmctl("-c", core.sock, "nf", "cmd", str(nf), *words)
    return rc, (out.get("answer", "") if isinstance(out, dict) else str(out))


def routes(a, b):
    """The two runtime routes: each namespace's subnet out of its port to its MAC."""
    return [f"10.0.1.0/24 0 {a.ns_mac}", f"10.0.2.0/24 1 {b.ns_mac}"]


def wait_both_idle(mgr):
    deadline = time.monotonic() + idle_vm.BOOT_TIMEOUT
    vms = {}
    while time.monotonic() < deadline:
        vms = idle_vm.idle_list(mgr)[0]
        if all(vms.get(n, {}).get("state") == "idle" for n in ("idle0", "idle1")):
            return True, vms
        time.sleep(0.3)
    return False, vms


def ping_during(a, b, action):
    """Ping B from A every 10 ms while @action() runs; (its result, sent, received)."""
    argv = a.exec_argv([nvenv.which("ping") or "ping", "-n", "-q", "-i", "0.01", "-W", "2",
                        "-c", str(MOVE_PINGS), b.addr])
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)
    res = action()
    out, _ = p.communicate(timeout=MOVE_PINGS * 0.01 + 30)
    m = PING_RE.search(out)
    return res, (int(m.group(1)) if m else 0), (int(m.group(2)) if m else 0)


def case_move(chk, core, mgr, a, b, nf):
    """nf move with the routes handed over; returns the new instance id or None."""
    chk.section("move: nf move with --state 'routes list' 'routes load' during traffic")
    before = nf_cmd(mgr, core, nf, "routes", "list")[1]
    (rc, out), sent, got = ping_during(a, b, lambda: mgr.netvmctl(
        "nf", "move", str(nf), "--state", "routes list", "routes load"))
    if not chk.ok(rc == 0 and isinstance(out, dict) and out.get("ok"),
                  f"move: nf move {nf} answers ok", f"{out}" + mgr.tail()):
        return None
    new = out["nf_id"]
    print(f"  move: nf {nf} -> nf {new} in {out.get('vm')} (save, start, load, stop: "
          f"{out.get('move_ms')} ms); frames A -> B -> A around it: {sent} sent, {got} "
          f"answered, {sent - got} lost", flush=True)
    chk.ok(sent > 0, f"move: the traffic ran during the move ({sent} pings sent)")
    chk.ok(new != nf and out.get("vm") == "idle1", f"move: a new instance ({new}) in idle1")
    after = nf_cmd(mgr, core, new, "routes", "list")[1]
    chk.ok(all(r in after for r in routes(a, b)) and after.strip() == before.strip(),
           "move: the new instance's routes list is the old one's (runtime routes kept)",
           f"before: {before!r} after: {after!r}")
    ok, st = core.tel.wait_for(lambda s: idle_vm.pool_whole(s, nf), 5)
    chk.ok(ok, f"move: the core has no instance {nf} and every buffer is back or held by "
           f"instance {new}", f"pool0_free={st.get('pool0_free')} role={st.get(f'nf{nf}_role')}")
    vm0, lst = idle_vm.idle_list(mgr)
    chk.ok(lst.get("retired", 0) >= 1 and vm0.get("idle0", {}).get("state") != "busy",
           "move: idle0's VM is retired (a fresh one takes its slot)", f"{lst}")
    ok, _, _, pout = idle_vm.ping(a, b.addr)
    chk.ok(ok, "move: ping A -> B through the moved l3fwd", pout[-300:])
    return new


def case_refused(chk, core, mgr, a, b, nf):
    """A LOAD command the NF refuses: the move fails, the NF runs on, nothing leaks."""
    chk.section("refused: nf move whose LOAD command the NF refuses")
    # the move retired idle0's VM: the move below needs its fresh one booted
    ok, vm = idle_vm.wait_idle(mgr, idle_vm.BOOT_TIMEOUT)
    if not chk.ok(ok, "refused: idle0's fresh VM is idle", f"{vm}" + mgr.tail()):
        return
    attached0 = core.stats().get("nfs_attached")
    rc, out = mgr.netvmctl("nf", "move", str(nf), "--state", "routes list", "routes frobnicate")
    err = out.get("error", "") if isinstance(out, dict) else str(out)
    chk.ok(rc == 1 and "loading the state" in err and f"nf id {nf} runs on" in err,
           "refused: nf move fails, says the load was refused and the NF runs on", err)
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == attached0 and
                               s.get(f"nf{nf}_role") == ROLE, 10)
    chk.ok(ok, f"refused: only instance {nf} is attached, as before",
           f"nfs_attached={st.get('nfs_attached')} (was {attached0})")
    ok, _, _, pout = idle_vm.ping(a, b.addr)
    chk.ok(ok, "refused: ping still passes through the NF where it was", pout[-300:])


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("idle_move", 280, __doc__)
    chk = check.Checker("idle_move")

    chk.section("namespaces, core, manager with two idle VMs")
    # l3fwd rewrites MACs: each namespace's gateway is its core port
    a, b, core, mgr = idle_vm.start_idle(env, chk, "im", count=2, bridge=False)
    ok, vms = wait_both_idle(mgr)
    if not chk.ok(ok, "idle0 and idle1 are idle", f"{vms}" + mgr.tail()):
        env.done(chk)

    chk.section("start: l3fwd in idle0, its routes added at runtime")
    rc, out = idle_vm.nf_start(mgr, L3FWD)
    if not chk.ok(rc == 0 and isinstance(out, dict) and out.get("vm") == "idle0",
                  "start: nf start of netvm-l3fwd runs it in idle0", f"{out}" + mgr.tail()):
        env.done(chk)
    nf = out["nf_id"]
    for r in routes(a, b):
        rc, ans = nf_cmd(mgr, core, nf, "routes", "add", *r.split())
        chk.ok(rc == 0, f"start: nf cmd {nf} routes add {r}", ans)
    ok, _, _, pout = idle_vm.ping(a, b.addr)
    chk.ok(ok, "start: ping A -> B through l3fwd in idle0", pout[-300:])

    new = case_move(chk, core, mgr, a, b, nf)
    if new is not None:
        case_refused(chk, core, mgr, a, b, new)

    chk.section("shutdown")
    chk.eq(mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
