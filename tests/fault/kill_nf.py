#!/usr/bin/env python3
"""kill_nf: kill -9 an NF mid-traffic, restart it, and find no leaked buffer.

Port 0 replays a pcap endlessly (net_pcap infinite_rx), port 1 is a net_null
sink. Rules send dst 10.1/16 to role 1 and 10.2/16 to role 2, one bridge
each. Killing the role-1 bridge must detach it (its buffers reclaimed, its
counters gone) while role 2 keeps forwarding and role-1 traffic is counted
as drop_no_instance; a new role-1 bridge must attach and get traffic; at
shutdown the pool must be whole again.
"""

import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import nf_ids, nf_keys  # noqa: E402

CONFIG = """core = {
  pool_buffers = 4096;
};
rules = (
  { dst = "10.1.0.0/16"; role = 1; },
  { dst = "10.2.0.0/16"; role = 2; }
);
default = { action = "drop"; };
"""


def check_grows(chk, core, key, what):
    """Check counter @key grows (waits for it, 10 s at most)."""
    ok, a, b = core.tel.wait_grows(key)
    return chk.ok(ok, what, f"{key}: {a} -> {b}")


def main():
    env = nvenv.setup("kill_nf", timeout=170, description=__doc__)
    chk = check.Checker("kill_nf")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])

    flows = env.path("flows.pcap")
    pcaps.write(flows, [p.frame for p in
                        traffic.simple_flows(11, ["10.1.0.0/16", "10.2.0.0/16"], 64)])
    core = Core(env, "k", CONFIG,
                [f"net_pcap0,rx_pcap={flows},infinite_rx=1", "net_null0,no-rx=1"],
                wait_nfs=2)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    b1 = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-r1")
    b2 = Nf(env, core, nvenv.BRIDGE_BIN, 2, name="bridge-r2")
    for nf in (b1, b2):
        err = nf.start_attached()
        if not chk.ok(err is None, f"{nf.name} attaches", err or ""):
            env.done(chk)

    chk.section("traffic through both roles")
    check_grows(chk, core, f"nf{b1.id}_tx", "role-1 bridge forwards")
    check_grows(chk, core, f"nf{b2.id}_tx", "role-2 bridge forwards")
    check_grows(chk, core, "port1_tx", "port 1 transmits")
    held = core.stats().get(f"nf{b1.id}_held")
    print(f"  role-1 bridge holds {held} buffers before the kill", flush=True)

    chk.section("kill -9 the role-1 bridge")
    b1.send_signal(signal.SIGKILL)
    chk.ok(b1.wait(5) is not None, "role-1 bridge is dead")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, timeout=10)
    chk.ok(ok, "nfs_attached becomes 1", f"nfs_attached={st.get('nfs_attached')}")
    chk.eq(nf_keys(st, b1.id), [], f"nf{b1.id}_* counters (held buffers) are gone")
    chk.eq(nf_ids(st), [b2.id], "only the role-2 instance is listed")
    check_grows(chk, core, f"nf{b2.id}_tx", "role-2 bridge keeps forwarding")
    check_grows(chk, core, "drop_no_instance", "drop_no_instance grows (role 1 has no NF)")
    chk.ok(core.alive(), "core survives the kill")

    chk.section("restart the role-1 bridge")
    b1b = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-r1-again")
    err = b1b.start_attached()
    chk.ok(err is None, "a new role-1 bridge attaches", err or "")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 2, timeout=10)
    chk.ok(ok, "nfs_attached is 2 again", f"nfs_attached={st.get('nfs_attached')}")
    if b1b.id is not None:
        check_grows(chk, core, f"nf{b1b.id}_rx", "the new role-1 bridge receives")
        check_grows(chk, core, f"nf{b1b.id}_tx", "the new role-1 bridge forwards")
    ok, seen = core.tel.wait_still("drop_no_instance")
    chk.ok(ok, "drop_no_instance stops growing", f"last values {seen}")

    chk.section("shutdown")
    final = core.stop_checked(chk)
    chk.eq(nvenv.pool_files(core.prefix), [], "core removed its pool region file at exit")
    chk.gt(final.get("drop_no_instance"), 0, "final stat drop_no_instance")
    for nf in (b2, b1b):
        rc = nf.stop(timeout=10)
        chk.ok(rc is not None, f"{nf.name} ends once the core is gone", f"rc={rc}")
    env.done(chk)


if __name__ == "__main__":
    main()
