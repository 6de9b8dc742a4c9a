#!/usr/bin/env python3
"""dos: the core detects a flood, the manager puts a filter in front of the victim, and takes it out when the attack ends.

The core sends everything from port 0 along chain "web" = [1]; role 1 is
nf_slow (forwards to port 1 at once). The manager's dos group: sources over
500 packets/s are attacks, the filter is netvm-firewall as role 9, put in
front of "web". Legitimate traffic: 16 sources, about 12 packets/s each;
the attack: one source at about 2000 packets/s.

Checks: the manager lists the attacker (and no legitimate source), starts
the filter, the chain becomes 9,1 (the core's chain list); after that the
attacker's packets are dropped by the filter (none leaves port 1) while
every legitimate packet passes. Prints the time from the attack's first
packet to the chain change (seen by this test, and by the manager) and the
legitimate packets lost meanwhile; nothing is asserted on times.

Then the attack stops: after hold_ms (3 s) quiet the manager puts the chain
back to 1 and stops the filter (netvmctl dos: ends 1), legitimate traffic
flowing throughout. Then a SYN flood from spoofed sources (each source one
SYN, so no source is over src_pps; over syn_pps = 150 SYNs/s into role 1)
while 16 established TCP connections go on: the core lists role 1 as
SYN-flooded, the filter goes in front again and drops SYNs without ACK,
every packet of the established connections passes; the flood stops and the
mitigation ends again. Then the core's limits set to 0 by hand (what a
restarted core has): the manager sets them again. Last, an IPv6 flood from
32 addresses of one /64, each under src_pps: the core lists the /64, the
manager's filter denies it (`src net .../64`) and goes in front again; after
that none of the /64's packets leaves port 1 while 16 legitimate IPv6
sources, a /64 each, pass; the flood stops and the mitigation ends.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import opslib  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Nf  # noqa: E402

SLOW_BIN = "tests/functional/nf_slow"
FW_BIN = "apps/firewall/netvm-firewall"
CONFIG = """core = { buffer_size = 4096; };
chains = ( { name = "web"; roles = [ 1 ]; } );
rules = ( { in_port = 0; chain = "web"; } );
default = { action = "drop"; };
"""
ATTACKER = "10.66.0.1"
ATTACK_FLOW0 = 1 << 20
LEGIT = list(range(1, 17))
SYN_FLOW0 = 2 << 20
KEEP0 = 3 << 20      # the attack's packets sent while the test looks
SYN_KEEP0 = 4 << 20
V6_NET = "2001:db8:66:1::"  # the IPv6 attacker's /64, one source per address
V6_FLOW0 = 5 << 20
V6_KEEP0 = 6 << 20
V6_LEGIT0 = 7 << 20


def chain_roles(env, core, name):
    res = subprocess.run([env.binary("manager/netvmctl"), "-c", core.sock, "chain", "list"],
                         capture_output=True, text=True, timeout=30)
    for line in res.stdout.splitlines():
        w = line.split()
        if len(w) >= 2 and w[0] == name:
            return w[1]
    return None


def netvmctl_core(env, core, *words):
    """netvmctl's answer to a core command: (exit status, its output)."""
    res = subprocess.run([env.binary("manager/netvmctl"), "-c", core.sock] + list(words),
                         capture_output=True, text=True, timeout=30)
    return res.returncode, res.stdout + res.stderr


def dos_state(mgr, until, timeout=30.0):
    """netvmctl dos's answer once until(answer) holds, or the last one."""
    deadline = time.monotonic() + timeout
    d = {}
    while time.monotonic() < deadline:
        rc, out = mgr.netvmctl("dos")
        d = out.get("dos", {}) if rc == 0 and isinstance(out, dict) else {}
        if until(d):
            break
        time.sleep(0.1)
    return d


def wait_end(env, rig, mgr, ends, legit, timeout=20):
    """Send legitimate traffic with @legit every 50 ms until netvmctl dos
    shows @ends ends: its answer, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        legit()
        rig.collect()
        rc, out = mgr.netvmctl("dos")
        d = out.get("dos", {}) if rc == 0 and isinstance(out, dict) else {}
        if d.get("ends") == ends:
            return d
        time.sleep(0.05)
    return None


def case_source(env, chk, rig, mgr):
    """One source floods: detected, filtered, the chain changed; afterwards the
    attack is dropped and legitimate traffic passes. Its figures (a dict)."""
    chk.section("attack: detected, filtered, chain changed")
    legit_before = {f: rig.sent[f] for f in LEGIT}
    t0 = time.monotonic()
    t_mitigated, rnd = None, 0
    attack = ATTACK_FLOW0
    while time.monotonic() - t0 < 20:
        rig.send(range(attack, attack + 40), src=ATTACKER)
        attack += 40
        if rnd % 5 == 0:
            rig.send(LEGIT)
            rig.collect()
            if t_mitigated is None and chain_roles(env, rig.core, "web") == "9,1":
                t_mitigated = time.monotonic()
        rnd += 1
        if t_mitigated is not None and time.monotonic() - t_mitigated > 1.0:
            break
        time.sleep(max(0.0, t0 + rnd * 0.02 - time.monotonic()))
    attack_before_end = attack
    # the attack goes on (1500 packets/s, three times src_pps, so that a loaded sender
    # does not fall under it for hold_ms and end the mitigation) while the test looks
    keep = opslib.Flood(lambda i: rig.send(range(KEEP0 + 150 * i, KEEP0 + 150 * i + 150),
                                           src=ATTACKER))
    chk.ok(t_mitigated is not None, "the chain becomes 9,1: the filter in front of the victim",
           str(chain_roles(env, rig.core, "web")))
    rc, out = mgr.netvmctl("dos")
    d = out.get("dos", {}) if isinstance(out, dict) else {}
    chk.eq(d.get("blocked"), [ATTACKER], "the manager blocks the attacker only")
    chk.ok(d.get("inserted") is True and d.get("filter_nf_id") is not None,
           "the filter runs and is in the chain", str(d))
    ok, st = rig.through(60)
    chk.ok(ok, "every frame through or dropped")
    lost_during = sum(rig.sent[f] - len(rig.got[f]) for f in LEGIT)
    lost_sent = sum(rig.sent[f] - legit_before[f] for f in LEGIT)

    chk.section("after mitigation: attack dropped, legitimate traffic flows")
    legit_mark = {f: rig.sent[f] for f in LEGIT}
    got_mark = {f: len(rig.got[f]) for f in LEGIT}
    for _ in range(10):
        rig.send(range(attack, attack + 40), src=ATTACKER)
        attack += 40
        rig.send(LEGIT)
        time.sleep(0.02)
    ok, st = rig.through(60)
    chk.ok(ok, "every frame through or dropped")
    keep.stop()
    late = [f for f in list(range(attack_before_end, attack)) +
            list(range(KEEP0, KEEP0 + 150 * keep.n)) if rig.got.get(f)]
    chk.eq(len(late), 0, "no attack packet sent after mitigation leaves port 1")
    missing = {f: (rig.sent[f] - legit_mark[f]) - (len(rig.got[f]) - got_mark[f]) for f in LEGIT}
    chk.ok(all(v == 0 for v in missing.values()), "every legitimate packet after mitigation "
           "passes the filter", str(missing))
    chk.gt(st.get("drop_nf_drop", 0), 0, "the filter drops (drop_nf_drop)")
    bad = rig.reordered(LEGIT)
    chk.ok(not bad, "no legitimate flow reordered", str(bad))

    secs = (t_mitigated - t0) if t_mitigated else None
    print(f"dos: attack start to mitigation: {secs:.3f} s seen by the test; manager: "
          f"{d.get('mitigation_ms')} ms from detection to the chain change; legitimate "
          f"packets lost {lost_during} of {lost_sent} sent during the attack" if secs else
          "dos: no mitigation", flush=True)
    return {"src_mitigation_s": secs, "src_manager_ms": d.get("mitigation_ms"),
            "src_legit_lost": lost_during, "src_legit_sent": lost_sent}


def case_end(env, chk, rig, mgr):
    """The attack has stopped: after hold_ms the chain is 1 again, the filter
    gone; legitimate traffic flows throughout. netvmctl dos's answer or None."""
    chk.section("end: the attack stops, the filter goes after hold_ms")
    ended = wait_end(env, rig, mgr, 1, lambda: rig.send(LEGIT))
    chk.ok(ended is not None, "netvmctl dos: the mitigation ended (ends 1)", str(ended))
    chk.eq(chain_roles(env, rig.core, "web"), "1", "the chain is 1 again")
    ok, st = rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 15)
    chk.ok(ok, "the filter stopped: only the victim attached", str(st.get("nfs_attached")))
    chk.ok(ended is not None and ended.get("filter_pid") is None and
           ended.get("filter_vm") is None and not ended.get("active"),
           "netvmctl dos: no filter, no attack", str(ended))
    chk.ok("mitigation ended" in mgr.stdout(), "the manager logs the end", mgr.tail(5))
    return ended


def victim(env, chk, rig):
    """nf_slow as role 1 (the victim), attached."""
    nf = Nf(env, rig.core, SLOW_BIN, 1, ["--mark", "1"], name="victim")
    err = nf.start_attached()
    if not chk.ok(err is None, "the victim NF (role 1) attaches", err or ""):
        env.done(chk)
    return nf


def quiet_start(chk, rig):
    """Legitimate traffic alone lists nothing."""
    chk.section("legitimate traffic alone: nothing listed")
    for _ in range(50):
        rig.send(LEGIT)
        time.sleep(0.02)
    ok, st = rig.through(30)
    chk.ok(ok, "legitimate traffic through")
    chk.eq(st.get("dos_offenders"), 0, "no source listed (dos_offenders)")
    chk.eq(rig.lost(LEGIT), {}, "every legitimate packet out of port 1")


def spoofed(k):
    """The source of the SYN flood's packet @k: one source each."""
    return f"172.16.{(k >> 8) & 255}.{k & 255}"


def case_v6(env, chk, rig, mgr):
    """An IPv6 flood from 32 addresses of one /64, each under src_pps: the
    /64 is listed and filtered; legitimate IPv6 sources (a /64 each) pass."""
    chk.section("IPv6: a flood spread over one /64 is blocked as the /64")
    legit6 = [(V6_LEGIT0 + i, f"2001:db8:70:{i:x}::1") for i in range(16)]
    t0, t_v6, rnd, flow = time.monotonic(), None, 0, V6_FLOW0
    while time.monotonic() - t0 < 20:
        # 1600 packets/s in all, 50 from each address
        rig.send_from([(flow + k, f"{V6_NET}{k + 1:x}") for k in range(32)])
        flow += 32
        if rnd % 5 == 0:
            rig.send_from(legit6)
            rig.collect()
            if t_v6 is None and chain_roles(env, rig.core, "web") == "9,1":
                t_v6 = time.monotonic()
        rnd += 1
        if t_v6 is not None and time.monotonic() - t_v6 > 1.0:
            break
        time.sleep(max(0.0, t0 + rnd * 0.02 - time.monotonic()))
    keep = opslib.Flood(lambda i: rig.send_from(
        [(V6_KEEP0 + 64 * i + k, f"{V6_NET}{k + 1:x}") for k in range(64)]))
    chk.ok(t_v6 is not None, "the chain becomes 9,1 a third time",
           str(chain_roles(env, rig.core, "web")))
    rc, out = mgr.netvmctl("dos")
    d = out.get("dos", {}) if isinstance(out, dict) else {}
    chk.eq(d.get("blocked"), [V6_NET + "/64"], "the manager blocks the attacker's /64 only")
    with open(os.path.join(mgr.state_dir, "dos.rules")) as f:
        rules = f.read()
    chk.ok(f"stateless deny src net {V6_NET}/64\n" in rules,
           "dos.rules denies the /64 by net", rules)
    ok, st = rig.through(60)
    chk.ok(ok, "every frame through or dropped")
    legit_mark = {f: rig.sent[f] for f, _ in legit6}
    got_mark = {f: len(rig.got[f]) for f, _ in legit6}
    mark = flow
    for _ in range(10):
        rig.send_from([(flow + k, f"{V6_NET}{k + 1:x}") for k in range(32)])
        flow += 32
        rig.send_from(legit6)
        time.sleep(0.02)
    keep.stop()
    ok, st = rig.through(60)
    chk.ok(ok, "every frame through or dropped")
    late = [f for f in list(range(mark, flow)) + list(range(V6_KEEP0, V6_KEEP0 + 64 * keep.n))
            if rig.got.get(f)]
    chk.eq(len(late), 0, "no packet of the /64 sent after mitigation leaves port 1")
    missing = {f: (rig.sent[f] - legit_mark[f]) - (len(rig.got[f]) - got_mark[f])
               for f, _ in legit6}
    chk.ok(all(v == 0 for v in missing.values()), "every legitimate IPv6 packet after "
           "mitigation passes the filter", str(missing))
    ended = wait_end(env, rig, mgr, 3, lambda: rig.send_from(legit6))
    chk.ok(ended is not None, "the flood stops: the mitigation ends (ends 3)", str(ended))
    chk.eq(chain_roles(env, rig.core, "web"), "1", "the chain is 1 again")


def main():
    env = nvenv.setup("dos", timeout=200, description=__doc__)
    chk = check.Checker("dos")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, SLOW_BIN, FW_BIN,
                                      "manager/netvm-manager", "manager/netvmctl"])
    rig = opslib.Rig(env, chk, "ds", CONFIG)
    nf = victim(env, chk, rig)
    mgr = opslib.manager(env, chk, rig.core, f"""dos = {{ src_pps = 500; syn_pps = 150;
  hold_ms = 3000; chain = "web"; filter_role = 9; filter = "{env.binary(FW_BIN)}"; }};
""")
    ok, st = rig.core.tel.wait_for(lambda s: s.get("dos_src_pps") == 500, 20)
    chk.ok(ok, "the manager set the core's detector (dos_src_pps 500)", str(st.get("dos_src_pps")))
    quiet_start(chk, rig)
    figures = case_source(env, chk, rig, mgr)
    case_end(env, chk, rig, mgr)

    chk.section("SYN flood from spoofed sources: new connections refused, established ones go on")
    tcp_legit = [f + 100 for f in LEGIT]
    rig.send(tcp_legit, tcp="A")
    mark = {f: rig.sent[f] for f in tcp_legit}
    t0, t_syn, rnd, spoof = time.monotonic(), None, 0, 0
    while time.monotonic() - t0 < 20:
        # 500 SYNs/s, each from a source of its own
        rig.send_from([(SYN_FLOW0 + k, spoofed(k)) for k in range(spoof, spoof + 10)], tcp="S")
        spoof += 10
        if rnd % 5 == 0:
            rig.send(tcp_legit, tcp="A")
            rig.collect()
            if t_syn is None and chain_roles(env, rig.core, "web") == "9,1":
                t_syn = time.monotonic()
        rnd += 1
        if t_syn is not None and time.monotonic() - t_syn > 1.0:
            break
        time.sleep(max(0.0, t0 + rnd * 0.02 - time.monotonic()))
    keep = opslib.Flood(lambda i: rig.send_from(
        [(SYN_KEEP0 + 40 * i + k, f"172.17.{i & 255}.{k}") for k in range(40)], tcp="S"))
    chk.ok(t_syn is not None, "the chain becomes 9,1 again", str(chain_roles(env, rig.core, "web")))
    rc, out = mgr.netvmctl("dos")
    d = out.get("dos", {}) if isinstance(out, dict) else {}
    chk.ok(1 in (d.get("syn_roles") or []), "the core lists role 1 as SYN-flooded (and then "
           "role 9, where the flood enters now)", str(d.get("syn_roles")))
    chk.eq(d.get("blocked"), [], "no source blocked (each sent under src_pps)")
    spoof_mark = spoof
    for _ in range(10):
        rig.send_from([(SYN_FLOW0 + k, spoofed(k)) for k in range(spoof, spoof + 10)], tcp="S")
        spoof += 10
        rig.send(tcp_legit, tcp="A")
        time.sleep(0.02)
    keep.stop()
    ok, st = rig.through(60)
    chk.ok(ok, "every frame through or dropped")
    late = [f for f in list(range(SYN_FLOW0 + spoof_mark, SYN_FLOW0 + spoof)) +
            list(range(SYN_KEEP0, SYN_KEEP0 + 40 * keep.n)) if rig.got.get(f)]
    chk.eq(len(late), 0, "no SYN sent after mitigation leaves port 1")
    lost = {f: rig.sent[f] - len(rig.got[f]) for f in tcp_legit if rig.sent[f] != len(rig.got[f])}
    chk.eq(lost, {}, f"every packet of the established connections passes "
           f"({sum(rig.sent[f] - mark[f] for f in tcp_legit)} during the flood)")
    chk.ok(not rig.reordered(tcp_legit), "none reordered")
    ended = wait_end(env, rig, mgr, 2, lambda: rig.send(tcp_legit, tcp="A"))
    chk.ok(ended is not None, "the flood stops: the mitigation ends again (ends 2)", str(ended))
    chk.eq(chain_roles(env, rig.core, "web"), "1", "the chain is 1 again")
    print(f"dos: SYN flood to mitigation: {t_syn - t0:.3f} s seen by the test" if t_syn else
          "dos: SYN flood not mitigated", flush=True)
    figures.update(syn_mitigation_s=(t_syn - t0) if t_syn else None,
                   syn_legit_lost=sum(lost.values()),
                   syn_legit_sent=sum(rig.sent[f] - mark[f] for f in tcp_legit))
    # one line for scripts/bench.sh dos
    print("dos-figures: " + json.dumps(figures), flush=True)

    chk.section("limits gone (as in a restarted core): the manager sets them again")
    for key in ("src_pps", "syn_pps"):
        res = subprocess.run([env.binary("manager/netvmctl"), "-c", rig.core.sock, "dos",
                              "set", key, "0"], capture_output=True, text=True, timeout=30)
        chk.ok(res.returncode == 0, f"netvmctl dos set {key} 0", res.stderr)
    ok, st = rig.core.tel.wait_for(
        lambda s: s.get("dos_src_pps") == 500 and s.get("dos_syn_pps") == 150, 20)
    chk.ok(ok, "the manager sets the core's limits again (dos_src_pps 500, dos_syn_pps 150)",
           f"{st.get('dos_src_pps')} {st.get('dos_syn_pps')}")
    chk.ok("dos: the core's limits are src_pps 0, syn_pps " in mgr.stdout(),
           "and logs why", mgr.tail(4))

    case_v6(env, chk, rig, mgr)
    opslib.finish(env, chk, rig, mgr, "stops the filter", victim=nf)


if __name__ == "__main__":
    main()
