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

The other /netvm/ commands through the same client: /netvm/nfs (the
attached ids, a list), /netvm/nf,ID (the
nf<ID>_* counters of /netvm/stats, integers), null for no such NF and for
an ID with a sign or a blank; /netvm/nf_counters,ID (what the bridge
publishes, integers); /netvm/pools (names and groups as strings, sizes as
integers). Then the project's own client, scripts/lib/telemetry.py: one
JSON line per reply; --until on a counter that is there exits 0, on a
value that is not a number (pool0_name) exits 1 at its --timeout naming
the value (no traceback), and a MIN that is not an integer is a usage
error (exit 2); so are -n 0, a negative -i, --timeout 0 and an empty
KEY. A command the core does not have (/netvm/stat) exits 1 naming it
(with --until too, at once),
where a known one with a null reply (/netvm/nf,63) prints null, exit 0.
Run as another user (nobody), it looks for the socket where DPDK's EAL
puts a non-root process's: XDG_RUNTIME_DIR, else /tmp, whatever TMPDIR
says.
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.pcaprun import wait_drained  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import STATS_CMD, TelemetryError  # noqa: E402

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
                "hop_limit", "nf_drop", "tx_full", "ring_corrupt")


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

    chk.section(f"{CLI}: /netvm/nf, /netvm/nf_counters, /netvm/pools, /netvm/nfs")
    nid = nf.id
    # the bridge publishes its counters at most every 200 ms: wait for the last ones
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if core.tel.command(f"/netvm/nf_counters,{nid}").get("rx") == len(frames):
                break
        except (TelemetryError, AttributeError):
            pass
        time.sleep(0.1)
    cmds = [f"/netvm/nf,{nid}", "/netvm/nf,63", f"/netvm/nf,+{nid}", f"/netvm/nf, {nid}",
            f"/netvm/nf_counters,{nid}", "/netvm/nf_counters,x", "/netvm/pools", "/netvm/nfs"]
    rc, replies, out, errtxt = run_cli(core.prefix, cmds)
    chk.ok(rc == 0 and len(replies) == len(cmds), f"{len(cmds)} replies, exit 0",
           f"rc={rc} {out[-300:]!r} {errtxt[-300:]!r}")
    got = [r.get(c.split(",")[0]) if isinstance(r, dict) else r
           for r, c in zip(replies, cmds)] + [None] * len(cmds)
    one = got[0]
    chk.ok(isinstance(one, dict) and sorted(one) == sorted(k for k in stats
                                                         if k.startswith(f"nf{nid}_")) and
           all(type(v) is int for v in one.values()),
           f"/netvm/nf,{nid}: the nf{nid}_* counters of /netvm/stats, integers", repr(one))
    chk.ok(got[1:4] == [None, None, None],
           "/netvm/nf of no NF, with a sign, with a blank: null", repr(got[1:4]))
    pub = got[4]
    chk.ok(isinstance(pub, dict) and pub.get("rx") == len(frames) and
           all(type(v) is int for v in pub.values()),
           f"/netvm/nf_counters,{nid}: the bridge's counters, rx == packets sent",
           repr(pub)[:300])
    chk.eq(got[5], None, "/netvm/nf_counters,x: null")
    pools = got[6] if isinstance(got[6], dict) else {}
    chk.ok(isinstance(pools.get("pool0_name"), str) and
           pools.get("pool0_name", "").startswith(f"netvm-{core.prefix}-pool0") and
           pools.get("pool0_group") == "default" and
           pools.get("pool0_buffers") == POOL_BUFFERS and
           all(type(pools.get(f"pool0_{k}")) is int
               for k in ("size", "buffers", "stride", "socket")),
           "/netvm/pools: name and group strings, size, buffers, stride, socket integers",
           repr(got[6]))
    chk.eq(got[7], [nid], "/netvm/nfs: the one NF's id, in a list")

    chk.section("scripts/lib/telemetry.py")
    tool = os.path.join(env.source_dir, "scripts", "lib", "telemetry.py")

    def tool_run(*args, timeout=20):
        r = subprocess.run([PYTHON, tool, "-f", core.prefix] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr

    rc, out, errtxt = tool_run("-n", "2", "-i", "0.1", STATS_CMD)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    chk.ok(rc == 0 and len(lines) == 2 and
           all(line["reply"].get("pool0_total") == POOL_BUFFERS for line in lines),
           "-n 2: two JSON lines, each with the counters", f"rc={rc} {out[:300]!r} {errtxt!r}")
    rc, out, errtxt = tool_run("--until", "nfs_attached=1", "--timeout", "5", STATS_CMD)
    chk.eq(rc, 0, "--until nfs_attached=1: met, exit 0")
    rc, out, errtxt = tool_run("--until", "pool0_name=1", "--timeout", "1", "/netvm/pools")
    chk.ok(rc == 1 and "Traceback" not in errtxt and
           f'no reply with pool0_name >= 1 within 1 s (last pool0_name: "netvm-{core.prefix}'
           in errtxt, "--until on a name: not met, exit 1 at the time-out, the value named",
           f"rc={rc} {errtxt[-400:]!r}")
    rc, out, errtxt = tool_run("--until", "nfs_attached=x", STATS_CMD)
    chk.ok(rc == 2 and "Traceback" not in errtxt and "MIN is not an integer" in errtxt,
           "--until KEY=x: a usage error, exit 2", f"rc={rc} {errtxt[-400:]!r}")
    for bad, says in ((["-n", "0"], "COUNT is at least 1"),
                      (["-i", "-1"], "finite number >= 0"),
                      (["--until", "nfs_attached", "--timeout", "0"], "finite number > 0"),
                      (["--until", "=1"], "KEY is empty")):
        rc, out, errtxt = tool_run(*bad, STATS_CMD)
        chk.ok(rc == 2 and out == "" and "Traceback" not in errtxt and says in errtxt,
               f"{' '.join(bad)}: a usage error, exit 2, nothing printed",
               f"rc={rc} {out[:200]!r} {errtxt[-300:]!r}")
    rc, out, errtxt = tool_run("/netvm/stat")
    chk.ok(rc == 1 and out == "" and "no command /netvm/stat" in errtxt,
           "a command the core does not have: exit 1, named, no null reply",
           f"rc={rc} {out[:200]!r} {errtxt[-300:]!r}")
    # --until on it: at once, not at the end of its time-out (60 s here)
    t0 = time.monotonic()
    rc, out, errtxt = tool_run("--until", "x=1", "--timeout", "60", "/netvm/stat",
                               timeout=90)
    took = time.monotonic() - t0
    chk.ok(rc == 1 and out == "" and "no command /netvm/stat" in errtxt and took < 30,
           "--until with a command the core does not have: exit 1 at once, named",
           f"rc={rc} after {took:.1f} s {out[:200]!r} {errtxt[-300:]!r}")
    rc, out, errtxt = tool_run("/netvm/nf,63")
    chk.ok(rc == 0 and json.loads(out or "{}").get("reply", 0) is None,
           "a known command whose reply is null (no NF 63): null, exit 0",
           f"rc={rc} {out[:200]!r} {errtxt[-300:]!r}")

    if os.geteuid() == 0:
        copy, tmp = env.path("telemetry.py"), env.path("tmp")
        shutil.copy(tool, copy)
        os.mkdir(tmp)
        os.chmod(tmp, 0o777)
        os.chmod(env.workdir, 0o755)  # nobody runs the copy
        run_env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
        run_env["TMPDIR"] = tmp
        r = subprocess.run([PYTHON, copy, "-f", "nvnoprefix", STATS_CMD], capture_output=True,
                           text=True, timeout=20, env=run_env, user=65534, group=65534,
                           extra_groups=[])
        os.chmod(env.workdir, 0o700)
        chk.ok(r.returncode == 1 and
               "telemetry: /tmp/dpdk/nvnoprefix/dpdk_telemetry.v2:" in r.stderr,
               "as nobody without XDG_RUNTIME_DIR: /tmp/dpdk/PREFIX, not TMPDIR's",
               f"rc={r.returncode} {r.stderr[-300:]!r}")

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
