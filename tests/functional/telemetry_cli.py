#!/usr/bin/env python3
"""telemetry_cli: DPDK's own client, dpdk-telemetry.py, reads the core's /netvm/stats.

A pcap goes through the core and a bridge (port 0 -> port 1). Once it is
drained, dpdk-telemetry.py -f <file-prefix> (from the dpdk-dev package; it
reads commands on stdin and prints one JSON line per reply) is asked for
/netvm/stats and /help,/netvm/stats. Its reply must parse, carry integer
counters with the documented names, agree with the test library's own
telemetry client value for value (the core is idle by then), and show
what was configured and sent: pool0_total == core.pool_buffers,
port0_rx == port1_tx == packets sent.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import wait_drained  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import STATS_CMD  # noqa: E402

CLI = "/usr/bin/dpdk-telemetry.py"
PYTHON = "/usr/bin/python3"  # the script's interpreter; it needs nothing outside the stdlib
POOL_BUFFERS = 3000  # not a default nor a power of two: it must come from this config

CONFIG = f"""core = {{
  pool_buffers = {POOL_BUFFERS};
}};
rules = ( {{ in_port = 0; role = 1; }} );
default = {{ action = "drop"; }};
"""

DROP_REASONS = ("malformed", "no_rule", "rule_drop", "no_instance", "nf_ring_full", "bad_buf",
                "not_owned", "bad_offset", "bad_action", "bad_port", "bad_role", "chain_end",
                "nf_drop", "tx_full", "ring_corrupt")


def run_cli(prefix, commands, timeout=20):
    """Run dpdk-telemetry.py -f @prefix with @commands on stdin.

    Returns (exit status, [parsed JSON replies], stdout, stderr); a line that is
    not JSON is returned as the string itself."""
    proc = subprocess.run([PYTHON, CLI, "-f", prefix], input="\n".join(commands) + "\n",
                          capture_output=True, text=True, timeout=timeout)
    replies = []
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        try:
            replies.append(json.loads(line))
        except ValueError:
            replies.append(line)
    return proc.returncode, replies, proc.stdout, proc.stderr


def main():
    env = nvenv.setup("telemetry_cli", timeout=110, description=__doc__)
    chk = check.Checker("telemetry_cli")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])
    if not chk.ok(os.access(CLI, os.R_OK) and os.access(PYTHON, os.X_OK),
                  f"{CLI} and {PYTHON} present (Debian package dpdk-dev)"):
        env.done(chk)

    frames = [p.frame for p in traffic.simple_flows(5, ["10.1.0.0/16", "10.2.0.0/16"], 200)]
    in_pcap, empty = env.path("in.pcap"), env.path("empty.pcap")
    pcaps.write(in_pcap, frames)
    pcaps.write(empty, [])
    core = Core(env, "tc", CONFIG, [f"net_pcap0,rx_pcap={in_pcap},tx_pcap={env.path('out0.pcap')}",
                                    f"net_pcap1,rx_pcap={empty},tx_pcap={env.path('out1.pcap')}"],
                wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    nf = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge")
    err = nf.start_attached()
    if not chk.ok(err is None, "bridge attaches", err or ""):
        env.done(chk)
    drained, _ = wait_drained(core, len(frames))
    chk.ok(drained, f"all {len(frames)} packets through the bridge")

    chk.section(f"{CLI} -f {core.prefix}")
    before = core.stats()
    rc, replies, out, errtxt = run_cli(core.prefix, [STATS_CMD, "/help," + STATS_CMD])
    after = core.stats()
    chk.eq(rc, 0, "dpdk-telemetry.py exits 0")
    if not chk.eq(len(replies), 2, "two replies, one JSON line per command"):
        print(f"  stdout:\n{out}\n  stderr:\n{errtxt}", flush=True)
        env.done(chk)
    reply = replies[0]
    ok = chk.ok(isinstance(reply, dict) and isinstance(reply.get(STATS_CMD), dict),
                f"reply is JSON {{\"{STATS_CMD}\": {{...}}}}", repr(reply)[:300])
    if not ok:
        env.done(chk)
    stats = reply[STATS_CMD]
    chk.ok(all(isinstance(v, int) and not isinstance(v, bool) for v in stats.values()),
           "every counter is an integer",
           repr({k: v for k, v in stats.items() if not isinstance(v, int)})[:300])
    missing = [f"drop_{r}" for r in DROP_REASONS if f"drop_{r}" not in stats]
    chk.eq(missing, [], "every drop_<reason> of the contract is present")
    names = ("port0_rx", "port0_tx", "port0_tx_drop", "port1_rx", "port1_tx", "port1_tx_drop",
             "nfs_attached", "pool0_total", "pool0_free",
             f"nf{nf.id}_role", f"nf{nf.id}_rx", f"nf{nf.id}_tx", f"nf{nf.id}_held")
    chk.eq([k for k in names if k not in stats], [], "port, NF and pool counters present")
    chk.eq(stats.get("pool0_total"), POOL_BUFFERS, "pool0_total == the config's pool_buffers")
    chk.eq(stats.get("port0_rx"), len(frames), "port0_rx == packets sent")
    chk.eq(stats.get("port1_tx"), len(frames), "port1_tx == packets sent (bridge 0 -> 1)")
    chk.eq(stats.get("nfs_attached"), 1, "nfs_attached == 1")
    chk.eq(stats.get(f"nf{nf.id}_role"), 1, f"nf{nf.id}_role == 1")
    chk.eq(stats.get(f"nf{nf.id}_rx"), len(frames), f"nf{nf.id}_rx == packets sent")
    chk.eq(sorted(stats), sorted(before), "same counter names as the test library's client")
    steady = {k for k in before if before.get(k) == after.get(k)}
    if len(steady) < len(before):
        print(f"  still moving while the CLI ran, not compared: "
              f"{sorted(set(before) - steady)}", flush=True)
    diff = {k: (stats.get(k), before[k]) for k in steady if stats.get(k) != before[k]}
    chk.eq(diff, {}, f"same values as the test library's client ({len(steady)} steady counters)")

    help_reply = replies[1]
    text = help_reply.get("/help") if isinstance(help_reply, dict) else None
    chk.ok(isinstance(text, dict) and "netvm" in str(text.get(STATS_CMD, "")).lower(),
           f"/help,{STATS_CMD} describes the command", repr(help_reply)[:300])

    chk.section("after the run")
    rc, counters = nf.stop_counters()
    chk.eq(rc, 0, "bridge exits 0 on SIGINT")
    rc, final = core.stop_stats()
    chk.eq(rc, 0, "core exits 0 on SIGINT")
    chk.eq(final.get("pool0_total"), POOL_BUFFERS, "final stat pool0_total == pool_buffers")
    chk.eq(final.get("pool0_free"), POOL_BUFFERS, "final stat pool0_free == pool_buffers")
    chk.eq(final.get("port1_tx"), stats.get("port1_tx"), "final port1_tx == what the CLI showed")
    env.done(chk)


if __name__ == "__main__":
    main()
