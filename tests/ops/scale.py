#!/usr/bin/env python3
"""scale: a scaling policy starts and stops host-process instances of a role by load.

The core sends everything from port 0 to role 1; the manager's policy for
role 1 runs nf_slow (10 ms per packet, about 90 packets/s: slow enough
that the backlog outlasts a stall of the sender on a loaded machine) as
host processes, min 1, max 3. Every frame carries (flow, sequence number).

  hold      a burst too short to last out_hold_ms does not scale out
  out       ~600 packets/s of flows 5 packets long: the role grows to max
            (3 instances) and never beyond
  in        traffic stops: the instances drain (no new flows, their flows
            idle out) and stop, back to min, each scale-in decided after the
            load stayed low for in_hold_ms
  loss      every packet sent came out of port 1, none reordered in its flow
  config    bad policies are refused by netvm-manager --check with the
            file, line and key
"""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import opslib  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

SLOW_BIN = "tests/functional/nf_slow"
CONFIG = """core = { buffer_size = 4096; ring_size = 4096; flow_idle_ms = 800; };
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
OUT_HOLD, IN_HOLD = 1500, 2500


def policy(slow):
    return f"""scale = ( {{ role = 1; method = "process";
  command = "{slow} -- --delay-us 10000 --mark 1";
  min = 1; max = 3; out_above = 16; in_below = 2;
  out_hold_ms = {OUT_HOLD}; in_hold_ms = {IN_HOLD}; cooldown_ms = 500; drain_ms = 15000; }} );
"""


def bad_configs(env, chk, mgr_bin):
    """Each bad policy refused by --check, naming line and key."""
    cases = [
        ("min above max", 'scale = ( { role = 1; command = "x"; min = 3; max = 2; } );',
         r":1: scale\[0\]: min 3 is above max 2"),
        ("thresholds crossed", 'scale = ( { role = 1; command = "x"; max = 2; '
         'out_above = 4; in_below = 4; } );', r"in_below 4 must be below out_above 4"),
        ("no command", 'scale = ( { role = 1; max = 2; } );', r"needs 'command'"),
        ("max too high", 'scale = ( { role = 1; command = "x"; max = 17; } );',
         r"scale\[0\]\.max: 17 is out of range 1\.\.16"),
        ("unknown key", 'scale = ( { role = 1; command = "x"; max = 2; maxx = 3; } );',
         r"scale\[0\]\.maxx: unknown key"),
        ("unknown metric", 'scale = ( { role = 1; command = "x"; max = 2; metric = "cpu"; } );',
         r"scale\[0\]\.metric: 'cpu' is not one of \"load\""),
        ("role twice", 'scale = ( { role = 1; command = "x"; max = 2; },\n'
         '  { role = 1; command = "y"; max = 2; } );', r":2: scale\[1\]\.role: role 1 has a policy"),
        ("vm not configured", 'scale = ( { role = 1; method = "vm"; vms = [ "nope" ]; max = 1; } );',
         r"scale\[0\]\.vms: no VM 'nope'"),
        ("dos without chain", 'dos = { src_pps = 100; filter_role = 9; filter = "x"; };',
         r"dos: missing key 'chain'"),
        ("dos detects nothing", 'dos = { chain = "c"; filter_role = 9; filter = "x"; };',
         r":1: dos: detects nothing: give src_pps or syn_pps"),
        ("dos hold_ms too long", 'dos = { syn_pps = 10; hold_ms = 3600001; chain = "c"; '
         'filter_role = 9; filter = "x"; };', r"dos\.hold_ms: 3600001 is out of range"),
        ("dos filter role scaled", 'scale = ( { role = 9; command = "x"; max = 2; } );\n'
         'dos = { src_pps = 100; chain = "c"; filter_role = 9; filter = "x"; };',
         r"dos\.filter_role: role 9 is scaled"),
    ]
    for what, text, pattern in cases:
        path = env.path("bad.conf")
        with open(path, "w") as f:
            f.write(text + "\n")
        res = subprocess.run([mgr_bin, "-c", path, "--check"], capture_output=True, text=True,
                             timeout=30)
        msg = res.stderr.strip()
        chk.ok(res.returncode == 1 and re.search(pattern, msg) is not None
               and msg.startswith(f"netvm-manager: {path}:"),
               f"config refused: {what}", f"status {res.returncode}: {msg}")


def main():
    env = nvenv.setup("scale", timeout=230, description=__doc__)
    chk = check.Checker("scale")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, SLOW_BIN, "manager/netvm-manager",
                                      "manager/netvmctl"])
    chk.section("config: bad policies")
    bad_configs(env, chk, env.binary("manager/netvm-manager"))

    rig = opslib.Rig(env, chk, "sc", CONFIG)
    mgr = opslib.manager(env, chk, rig.core, policy(env.binary(SLOW_BIN)))
    ok, p = opslib.wait_pol(mgr, lambda p: p["running"] == 1, 30)
    chk.ok(ok, "min: one instance runs", str(p))

    chk.section("hold: a short burst does not scale out")
    burst = list(range(100000, 100060))
    rig.send(burst)
    ok, st = rig.through(60)
    chk.ok(ok, "the burst is through", f"port0_rx {st.get('port0_rx')}")
    p = opslib.pol(mgr)
    chk.eq(p.get("scale_outs"), 0, "no scale-out for a burst shorter than out_hold_ms")
    chk.eq(len(opslib.alive(p)), 1, "still one instance")

    chk.section("out: under load the role grows to max, and no more")
    most, flow, rnd = 1, 0, 0
    live = []
    t0 = time.monotonic()
    reached = None
    while time.monotonic() - t0 < 40:
        # 6 new flows a round, each 5 packets long (one per round): 30 packets a
        # round of 50 ms
        live = [f for f in live if rig.sent[f] < 5] + list(range(flow, flow + 6))
        flow += 6
        rig.send(live)
        rnd += 1
        if rnd % 5 == 0:
            rig.collect()  # the capture socket's buffer holds a few thousand frames
            p = opslib.pol(mgr)
            most = max(most, len(opslib.alive(p)))
            if reached is None and p.get("running") == 3:
                reached = time.monotonic()
            if reached is not None and time.monotonic() - reached > 1.0:
                break
        time.sleep(max(0.0, t0 + rnd * 0.05 - time.monotonic()))
    while live:  # finish the flows begun
        live = [f for f in live if rig.sent[f] < 5]
        rig.send(live)
        rig.collect()
        time.sleep(0.05)
    chk.ok(reached is not None, "the role reached max: 3 instances running", str(opslib.pol(mgr)))
    chk.ok(most <= 3, f"never more than max instances (most seen {most})")
    p = opslib.pol(mgr)
    chk.ge(p.get("scale_outs", 0), 2, "two scale-outs (1 -> 2 -> 3)")
    chk.ok(any("scale out" in d for d in p.get("decisions", [])),
           "the decisions say why", str(p.get("decisions")))

    chk.section("in: no traffic, back to min")
    ok, st = rig.through(90)
    chk.ok(ok, "every frame is through", f"port0_rx {st.get('port0_rx')} of {rig.inj.sent}")
    ok, p = opslib.wait_pol(mgr, lambda p: len(opslib.alive(p)) == 1 and p["running"] == 1, 90)
    chk.ok(ok, "back to min: one instance", str(p))
    ins = [d for d in p.get("decisions", []) if d.startswith("scale in")]
    chk.ge(len(ins), 1, "scale-in decisions logged")
    held = [int(m.group(1)) for d in ins for m in [re.search(r"for (\d+) ms", d)] if m]
    chk.ok(held and min(held) >= IN_HOLD, f"each scale-in after the load stayed low >= "
           f"{IN_HOLD} ms", str(ins))
    chk.ok(any("drained" in d for d in p.get("decisions", [])) or
           "drained" in mgr.stdout(), "the instances were drained before they stopped",
           mgr.tail(10))
    st = rig.core.stats()
    chk.eq(st.get("drop_nf_ring_full", 0) + st.get("drop_no_instance", 0), 0,
           "no drop for a full ring or a missing instance")

    chk.section("loss: every packet through, in order")
    flows = [f for f in rig.sent if f < 100000]
    lost = rig.lost(list(rig.sent))
    chk.ok(not lost, f"0 packets lost in {len(rig.sent)} flows "
           f"({sum(rig.sent.values())} packets)", str(list(lost.items())[:5]))
    bad = rig.reordered(flows)
    chk.ok(not bad, f"0 flows reordered of {len(flows)}", str(bad[:5]))
    print(f"scale: {sum(rig.sent.values())} packets, {len(rig.sent)} flows; "
          f"decisions: {p.get('decisions')}", flush=True)

    opslib.finish(env, chk, rig, mgr)


if __name__ == "__main__":
    main()
