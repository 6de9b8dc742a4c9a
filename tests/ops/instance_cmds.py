#!/usr/bin/env python3
"""instance_cmds: netvmctl instance drain, undrain and handover by hand (docs/operations.md §7).

The core sends everything from port 0 to role 1 (core.placement "load");
two instances of role 1, A and B (nf_slow, 2 ms per packet, so that a busy
instance has a load). Every frame carries (flow, sequence number).

  refused   a verb netvmctl does not know or a word too many: usage, exit
            status 2; an id that is not a number, an id no instance has (one
            above 131072 too): the core's reason, exit status 1
  drain     A drained: its answer says so; new flows all go to B (A's
            nf<I>_placed does not grow)
  undrain   A takes new flows again: of new flows sent while B is busy,
            some are placed on A
  handover  the answer says what it does
  loss      every packet sent came out of port 1, none reordered
"""

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
CONFIG = """core = { buffer_size = 4096; ring_size = 4096; flow_idle_ms = 60000; };
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""


def instance(env, rig, *words):
    """netvmctl instance WORDS: (exit status, stdout + stderr)."""
    res = subprocess.run([env.binary("manager/netvmctl"), "-c", rig.core.sock, "instance"] +
                         [str(w) for w in words], capture_output=True, text=True, timeout=30)
    return res.returncode, (res.stdout + res.stderr).strip()


def placed(rig, nf):
    return rig.core.stats().get(f"nf{nf.id}_placed", 0)


def new_flows(rig, first, n, per_round=10):
    """@n new flows of one packet each, @per_round every 20 ms; the next flow."""
    for f in range(first, first + n, per_round):
        rig.send(range(f, min(f + per_round, first + n)))
        time.sleep(0.02)
    return first + n


def main():
    env = nvenv.setup("instance_cmds", timeout=170, description=__doc__)
    chk = check.Checker("instance_cmds")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, SLOW_BIN, "manager/netvmctl"])
    rig = opslib.Rig(env, chk, "ic", CONFIG)
    a = Nf(env, rig.core, SLOW_BIN, 1, ["--delay-us", "2000", "--mark", "1"], name="A")
    b = Nf(env, rig.core, SLOW_BIN, 1, ["--delay-us", "2000", "--mark", "1"], name="B")
    for nf in (a, b):
        err = nf.start_attached()
        if not chk.ok(err is None, f"instance {nf.name} attaches", err or ""):
            env.done(chk)

    chk.section("refused")
    # netvmctl's own usage errors (exit status 2), then the core's refusals (1)
    for words, status, want in [
            (("frob", a.id), 2, "netvmctl: instance: see 'netvmctl --help'"),
            (("drain", a.id, "more"), 2, "netvmctl: instance: see 'netvmctl --help'"),
            (("drain", "x"), 1, "instance drain|handover|undrain ID"),
            (("drain", 63), 1, "instance drain: no instance 63 (see 'nf list')"),
            (("handover", 99), 1, "instance handover: no instance 99 (see 'nf list')"),
            (("undrain", 200000), 1, "instance undrain: no instance 200000 (see 'nf list')"),
            (("drain", 4294967295), 1, "instance drain: no instance 4294967295 (see"),
            (("drain", 4294967296), 1, "instance drain: no instance 4294967296 (see"),
            (("undrain", "99999999999999999999"), 1,
             "instance undrain: no instance 99999999999999999999 (see")]:
        rc, out = instance(env, rig, *words)
        chk.ok(rc == status and want in out, f"instance {' '.join(map(str, words))}: "
               f"refused, exit status {status}", f"status {rc}: {out}")

    chk.section("drain: new flows go to the other instance")
    rc, out = instance(env, rig, "drain", a.id)
    chk.ok(rc == 0 and out == f"instance {a.id} draining: no new flows", "A drained", out)
    pa, pb = placed(rig, a), placed(rig, b)
    flow = new_flows(rig, 0, 100)
    ok, st = rig.through(60)
    chk.ok(ok, "every frame is through")
    chk.eq(st.get(f"nf{a.id}_placed", 0) - pa, 0, "no new flow placed on A")
    chk.eq(st.get(f"nf{b.id}_placed", 0) - pb, 100, "the 100 new flows placed on B")

    chk.section("undrain: A takes new flows again")
    rc, out = instance(env, rig, "undrain", a.id)
    chk.ok(rc == 0 and out == f"instance {a.id} takes new flows", "A undrained", out)
    pa = placed(rig, a)
    flow = new_flows(rig, flow, 200, per_round=40)
    ok, st = rig.through(60)
    chk.ok(ok, "every frame is through")
    chk.gt(st.get(f"nf{a.id}_placed", 0) - pa, 0, "new flows are placed on A again "
           "(the least-loaded instance)")

    chk.section("handover")
    rc, out = instance(env, rig, "handover", b.id)
    chk.ok(rc == 0 and out == f"instance {b.id} handed over: no new flows, its flows move "
           "once it is empty", "B handed over", out)
    pb = placed(rig, b)
    new_flows(rig, flow, 50)
    ok, st = rig.through(60)
    chk.eq(st.get(f"nf{b.id}_placed", 0) - pb, 0, "no new flow placed on B")

    chk.section("loss")
    opslib.check_loss(chk, rig)
    for nf in (a, b):
        rc, _ = nf.stop_counters()
        chk.eq(rc, 0, f"{nf.name} exits 0")
    rig.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 15)
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
