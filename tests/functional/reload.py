#!/usr/bin/env python3
"""reload: SIGHUP reaches an NF's reload hook; an NF without one runs on.

Port 0 receives exactly the frames the test writes into it (nvtest.inject),
every packet to role 1; port 1 is a net_null sink. Half the frames go to
10.1/16, half to 10.2/16.

  no hook   the bridge has no reload hook: SIGHUP is logged, it keeps
            forwarding every packet, and SIGINT still ends it with its exit
            line and counters (reloads 0, reload_failed 1)
  l3fwd     routes v1 know 10.1/16 only: the 10.2 half is dropped by l3fwd;
            after the file is rewritten (10.2/16 only) and SIGHUP, exactly
            the other half is; a file with an error is refused with its
            line number, the v2 routes stay in force; with routes for both
            halves, 20 reloads while a thread sends frames lose nothing:
            everything port 0 received leaves by port 1; the counters say
            22 reloads, 1 refused

The expected counts come from what the test sent and the routes it wrote.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.closedloop import Sender  # noqa: E402
from nvtest.inject import Injector, drained  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402

CONFIG = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
HOP = "02:00:00:00:02:02"
ROUTES_V1 = f"10.1.0.0/16 1 {HOP}\n"
ROUTES_V2 = f"10.2.0.0/16 1 {HOP}\n"
ROUTES_BOTH = f"10.1.0.0/16 1 {HOP}\n10.2.0.0/16 1 {HOP}\n"
ROUTES_BAD = f"10.2.0.0/16 1 {HOP}\n10.3.0.0/33 1 {HOP}\n"
RELOADS = 20


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def stderr_lines(nf, needle):
    return [line for line in nf.stderr().splitlines() if needle in line]


def wait_line(nf, needle, count, timeout=10.0):
    """Wait until @nf's stderr has @count lines containing @needle; True if it came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(stderr_lines(nf, needle)) >= count:
            return True
        time.sleep(0.05)
    return False


def sent_through(chk, core, inj, frames, what):
    """Send @frames, wait until port 0 took them all; (port1_tx, drop_nf_drop) deltas."""
    st0 = core.stats()
    inj.send(frames)
    ok, st = core.tel.wait_for(
        lambda s: drained(0, inj.sent)(s) and
        s.get("port1_tx", 0) + s.get("drop_nf_drop", 0) - st0.get("port1_tx", 0)
        - st0.get("drop_nf_drop", 0) >= len(frames), 10)
    chk.ok(ok, f"{what}: the {len(frames)} frames are through",
           f"port0_rx {st.get('port0_rx')} of {inj.sent} sent")
    return (st.get("port1_tx", 0) - st0.get("port1_tx", 0),
            st.get("drop_nf_drop", 0) - st0.get("drop_nf_drop", 0))


def no_hook(env, chk, core, inj, frames):
    chk.section("an NF without a reload hook: SIGHUP changes nothing")
    nf = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge")
    err = nf.start_attached()
    if not chk.ok(err is None, "bridge attaches", err or ""):
        return
    nf.send_signal(signal.SIGHUP)
    chk.ok(wait_line(nf, "SIGHUP", 1), "the bridge logs the SIGHUP",
           f"stderr:{nf.tail(5)}")
    chk.ok(nf.alive(), "the bridge is still running")
    out, dropped = sent_through(chk, core, inj, frames, "after SIGHUP")
    chk.eq((out, dropped), (len(frames), 0), "it forwards every packet to port 1")
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "SIGINT still ends it, exit 0")
    chk.ok(any("SIGHUP" in line and "no reload hook" in line for line in
               nf.stderr().splitlines()), "it said it has no reload hook")
    chk.eq(counters.get("reloads"), 0, "counter reloads 0")
    chk.eq(counters.get("reload_failed"), 1, "counter reload_failed 1")
    chk.eq(counters.get("rx"), len(frames), "counter rx: every packet sent")
    core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, 10)


def l3fwd(env, chk, core, inj, frames):
    chk.section("l3fwd: SIGHUP re-reads its route file")
    v1 = [f for i, f in enumerate(frames) if i % 2 == 0]  # 10.1/16
    routes = env.path("routes.txt")
    write(routes, ROUTES_V1)
    nf = Nf(env, core, nvenv.L3FWD_BIN, 1, ["--mode", "lpm", "--routes", routes], name="l3fwd")
    err = nf.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        return
    out, dropped = sent_through(chk, core, inj, frames, "routes v1")
    chk.eq((out, dropped), (len(v1), len(frames) - len(v1)),
           "v1 (10.1/16): the 10.1 half goes out, the 10.2 half is dropped")

    write(routes, ROUTES_V2)
    nf.send_signal(signal.SIGHUP)
    chk.ok(wait_line(nf, "SIGHUP: reloaded", 1), "l3fwd says it reloaded",
           f"stderr:{nf.tail(5)}")
    out, dropped = sent_through(chk, core, inj, frames, "routes v2")
    chk.eq((out, dropped), (len(frames) - len(v1), len(v1)),
           "v2 (10.2/16): now the 10.2 half goes out, the 10.1 half is dropped")

    write(routes, ROUTES_BAD)
    nf.send_signal(signal.SIGHUP)
    chk.ok(wait_line(nf, "SIGHUP: reload failed", 1), "a route file with an error is refused",
           f"stderr:{nf.tail(5)}")
    chk.ok(any(":2" in line for line in nf.stderr().splitlines()
               if "routes.txt" in line), "the error names the file and line 2",
           f"stderr:{nf.tail(5)}")
    chk.ok(nf.alive(), "l3fwd runs on")
    out, dropped = sent_through(chk, core, inj, frames, "after the refused file")
    chk.eq((out, dropped), (len(frames) - len(v1), len(v1)), "the v2 routes stay in force")

    chk.section(f"{RELOADS} reloads under traffic lose nothing")
    write(routes, ROUTES_BOTH)
    nf.send_signal(signal.SIGHUP)
    chk.ok(wait_line(nf, "SIGHUP: reloaded", 2), "routes for both halves reloaded")
    with Sender(core, inj, frames) as sender:
        for i in range(RELOADS):
            nf.send_signal(signal.SIGHUP)
            if not wait_line(nf, "SIGHUP: reloaded", 3 + i):
                break
    chk.ok(sender.stuck is None, "every batch sent during the reloads came through",
           f"stuck at {sender.stuck}")
    ok, st = core.tel.wait_for(drained(0, inj.sent), 10)
    chk.ok(ok, "port 0 took every frame sent", f"port0_rx {st.get('port0_rx')} of {inj.sent}")
    chk.eq(len(stderr_lines(nf, "SIGHUP: reloaded")), RELOADS + 2, "every SIGHUP reloaded")
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "l3fwd exits 0 on SIGINT")
    chk.eq(counters.get("reloads"), RELOADS + 2, f"counter reloads {RELOADS + 2}")
    chk.eq(counters.get("reload_failed"), 1, "counter reload_failed 1")
    return counters


def main():
    env = nvenv.setup("reload", timeout=170, description=__doc__)
    chk = check.Checker("reload")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, nvenv.L3FWD_BIN])
    frames = [bytes(p.frame) for p in traffic.simple_flows(7, ["10.1.0.0/16", "10.2.0.0/16"],
                                                            64)]
    inj = Injector(env)
    core = Core(env, "rl", CONFIG, [inj.vdev(0), "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    no_hook(env, chk, core, inj, frames)
    st0 = core.stats()
    counters = l3fwd(env, chk, core, inj, frames)
    st = core.stats()
    if counters is not None:
        # from the start of the l3fwd part: v1 and v2 and the refused file
        # each dropped one half (3 halves); the reloads under traffic dropped
        # nothing, so every other packet port 0 took left by port 1
        rx = st.get("port0_rx", 0) - st0.get("port0_rx", 0)
        half = len(frames) // 2
        chk.eq(st.get("drop_nf_drop", 0) - st0.get("drop_nf_drop", 0), 3 * half,
               "l3fwd dropped only the halves its routes did not cover")
        chk.eq(st.get("port1_tx", 0) - st0.get("port1_tx", 0), rx - 3 * half,
               f"every other packet port 0 received ({rx - 3 * half}) left by port 1")
        chk.eq(counters.get("forwarded"), rx - 3 * half, "l3fwd counted them forwarded")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
