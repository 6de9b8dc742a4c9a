#!/usr/bin/env python3
"""queues: NFs with several ring sets (-q 2) and a core reading several port queues.

(a) l3fwd with two queues (two threads; the core picks the queue by flow
    hash) over a pcap of 240 flows: every packet arrives, each port's output
    is the model's output as a multiset, the packets of every flow come out
    in input order, and the whole output is not in input order (one queue
    would keep it: both queues carried packets). Run with --single-lcore and
    with RX/TX on two lcores.
(b) core.queues = 2 on net_null ports (port 0 generates, port 1 is a sink)
    and a bridge with two queues: the ports' counters grow, both RX queues
    of port 0 are read (DPDK's /ethdev/stats), the bridge gets and returns
    traffic, and shutdown is clean (pool0_free == pool0_total).
"""

import json
import os
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, model, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import (CONFIG_HEAD, PcapRun, check_counters, stop_all,  # noqa: E402
                            wait_drained)
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import TelemetryError  # noqa: E402

QUEUES = 2

CONFIG = """rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""


def queues_seen(nf, timeout=5.0):
    """The queue count netlib reports once attached ('..., N queue(s)' on stderr), or None.

    The core may list the NF before netlib has printed it: wait up to @timeout."""
    deadline = time.monotonic() + timeout
    while True:
        for line in nf.stderr().splitlines():
            if line.endswith("queue(s)"):
                try:
                    return int(line.rsplit(",", 1)[1].split()[0])
                except (IndexError, ValueError):
                    return None
        if time.monotonic() >= deadline or not nf.alive():
            return None
        time.sleep(0.05)


def port_queue_rx(core, port):
    """Packets received per queue of @port: q_ipackets of DPDK's /ethdev/stats,<port>.

    Sent on the library client's socket: its command() wants the reply keyed by
    the command with its parameter, DPDK keys it by the command alone."""
    try:
        core.tel.stats()  # connects if needed
        core.tel.sock.send(f"/ethdev/stats,{port}".encode())
        reply = json.loads(core.tel.sock.recv(core.tel.bufsize).decode())
    except (OSError, ValueError, TelemetryError) as exc:
        return f"no reply: {exc}"
    return reply.get("/ethdev/stats", {}).get("q_ipackets")


def replay_queues(env, chk, tag, frames, app, split_lcores):
    """Replay @frames through the core and one l3fwd with QUEUES queues; a PcapRun."""
    res = PcapRun()
    in_pcap, empty = env.path(f"{tag}-in.pcap"), env.path(f"{tag}-empty.pcap")
    out_pcap = {0: env.path(f"{tag}-out0.pcap"), 1: env.path(f"{tag}-out1.pcap")}
    pcaps.write(in_pcap, frames)
    pcaps.write(empty, [])
    core = Core(env, tag, CONFIG_HEAD + CONFIG,
                [f"net_pcap0,rx_pcap={in_pcap},tx_pcap={out_pcap[0]}",
                 f"net_pcap1,rx_pcap={empty},tx_pcap={out_pcap[1]}"],
                lcores="0,1" if split_lcores else "0", single_lcore=not split_lcores,
                wait_nfs=1)
    res.core = core
    err = core.start_ready()
    if not chk.ok(err is None, f"{tag}: core starts", err or ""):
        return res
    nf = Nf(env, core, nvenv.L3FWD_BIN, 1, app, queues=QUEUES, name="l3fwd-q2")
    err = nf.start_attached()
    if not chk.ok(err is None, f"{tag}: l3fwd -q {QUEUES} attaches", err or ""):
        stop_all(res, core, [nf])
        return res
    chk.eq(queues_seen(nf), QUEUES, f"{tag}: netlib reports {QUEUES} queues at attach")
    res.nf_ids = [nf.id]
    res.started = True
    drained, res.live = wait_drained(core, len(frames))
    res.ok = chk.ok(drained, f"{tag}: all {len(frames)} input packets received and accounted "
                    f"for", f"counters={res.live}")
    stop_all(res, core, [nf])
    for port, path in out_pcap.items():
        try:
            res.out[port] = pcaps.read(path)
        except (OSError, ValueError) as exc:
            chk.ok(False, f"{tag}: port {port} capture readable", str(exc))
            res.out[port] = None
    res.port_macs = {p: mac for p, (_drv, mac) in core.port_macs().items()}
    return res


def run_nf_queues(env, chk, tag, split_lcores):
    """(a): l3fwd -q 2 against the model: multiset per port, order per flow."""
    chk.section(f"{tag}: l3fwd -q {QUEUES}, " +
                ("RX and TX lcores apart" if split_lcores else "--single-lcore"))
    pkts = traffic.mixed_traffic(seed=31337, nb_flows=240, pkts_per_flow=(2, 6))
    frames = [p.frame for p in pkts]
    table = model.LpmTable(traffic.LPM_ROUTES)
    routes = env.path("routes.txt")
    table.write(routes)
    res = replay_queues(env, chk, tag, frames, ["--mode", "lpm", "--routes", routes],
                        split_lcores)
    if not res.started:
        return
    if not chk.ok(set(res.port_macs) >= {0, 1}, f"{tag}: port MACs known for the model",
                  f"core printed {res.port_macs}"):
        return
    exp = model.expected_output(frames, table, res.port_macs)
    check_counters(chk, tag, res, exp, len(frames), l3fwd_idx=[0])
    chk.eq(res.live.get(f"nf{res.nf_ids[0]}_rx"), len(frames) - exp.count("malformed"),
           f"{tag}: nf{res.nf_ids[0]}_rx (all but the malformed reach l3fwd)")
    for port in (0, 1):
        got = res.out.get(port)
        if got is None:
            continue
        want = exp.per_port[port]
        chk.ok(Counter(got) == Counter(want),
               f"{tag}: port {port} output is the model's multiset ({len(want)} packets)",
               f"{len(got)} packets, {sum((Counter(got) - Counter(want)).values())} "
               f"unexpected, {sum((Counter(want) - Counter(got)).values())} missing")
        flows = defaultdict(list)
        for f in got:
            flows[(port, model.flow_key(f))].append(f)
        wanted = {k: v for k, v in exp.per_flow.items() if k[0] == port}
        bad = [k for k, v in wanted.items() if flows.get(k) != v]
        chk.ok(not bad, f"{tag}: port {port}: every flow in input order ({len(wanted)} flows)",
               f"{len(bad)} flows differ, e.g. {bad[:3]}")
    # One queue keeps the input order exactly (pcap_l3fwd checks that); two
    # threads whose rings the core drains one after the other cannot.
    got = res.out.get(1)
    if got is not None:
        chk.ok(got != exp.per_port[1], f"{tag}: port 1 order is not the input order "
               "(both queues carried packets)", "identical order: one queue did all the work?")


def run_core_queues(env, chk):
    """(b): core.queues = 2 on net_null ports, a bridge with two queues."""
    tag = "core-queues"
    chk.section(f"{tag}: core.queues = {QUEUES} on net_null ports, bridge -q {QUEUES}")
    config = f"""core = {{
  pool_buffers = 4096;
  queues = {QUEUES};
}};
""" + CONFIG
    core = Core(env, tag, config, ["net_null0", "net_null1,no-rx=1"], wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, f"{tag}: core starts with {QUEUES} queues per port", err or ""):
        return
    nf = Nf(env, core, nvenv.BRIDGE_BIN, 1, queues=QUEUES, name="bridge-q2")
    err = nf.start_attached()
    if not chk.ok(err is None, f"{tag}: bridge -q {QUEUES} attaches", err or ""):
        return
    chk.eq(queues_seen(nf), QUEUES, f"{tag}: netlib reports {QUEUES} queues at attach")
    for key in ("port0_rx", "port1_tx", f"nf{nf.id}_rx", f"nf{nf.id}_tx"):
        ok, before, after = core.tel.wait_grows(key)
        chk.ok(ok, f"{tag}: {key} grows", f"{before} -> {after}")
    b = core.stats()
    chk.eq(b.get("port0_tx"), 0, f"{tag}: nothing goes out of port 0 (port 1 receives nothing)")
    deadline = time.monotonic() + 10
    qrx = port_queue_rx(core, 0)
    while time.monotonic() < deadline and not (isinstance(qrx, list) and len(qrx) >= QUEUES
                                                 and all(n > 0 for n in qrx[:QUEUES])):
        time.sleep(0.1)
        qrx = port_queue_rx(core, 0)
    chk.ok(isinstance(qrx, list) and len(qrx) >= QUEUES and all(n > 0 for n in qrx[:QUEUES]),
           f"{tag}: the core reads every RX queue of port 0 (/ethdev/stats,0 q_ipackets)",
           f"{qrx}")
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, f"{tag}: bridge exits 0 on SIGINT")
    chk.gt(counters.get("rx"), 0, f"{tag}: bridge counted received packets")
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 0, timeout=10)
    chk.ok(ok, f"{tag}: the core sees the bridge detach", f"nfs_attached={st.get('nfs_attached')}")
    rc, final = core.stop_stats()
    chk.eq(rc, 0, f"{tag}: core exits 0 on SIGINT")
    total = final.get("pool0_total")
    chk.ok(total is not None and total > 0 and final.get("pool0_free") == total,
           f"{tag}: final pool0_free == pool0_total",
           f"pool0_free={final.get('pool0_free')}, pool0_total={total}; core stderr:"
           f"{core.tail(5)}")
    chk.ge(final.get("port1_tx"), b.get("port1_tx", 1), f"{tag}: final stat port1_tx")
    chk.eq(final.get("drop_bad_buf", 0) + final.get("drop_not_owned", 0) +
           final.get("drop_ring_corrupt", 0), 0,
           f"{tag}: no bad_buf / not_owned / ring_corrupt drops")


def main():
    env = nvenv.setup("queues", timeout=170, description=__doc__)
    chk = check.Checker("queues")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN, nvenv.BRIDGE_BIN])
    run_nf_queues(env, chk, "nf-queues", split_lcores=False)
    run_nf_queues(env, chk, "nf-queues-2lcores", split_lcores=True)
    run_core_queues(env, chk)
    env.done(chk)


if __name__ == "__main__":
    main()
