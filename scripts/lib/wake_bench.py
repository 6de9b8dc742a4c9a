#!/usr/bin/env python3
"""wake_bench: idle CPU and wake-up latency of an NF, polling vs sleeping on its doorbell.

For a host-process NF and for a VM NF (started as tests/vm/glue.py does, the
way netvm-manager does), each run twice: polling, and with
--sleep-after-us 1000 (idle NFs block on the doorbell):

  idle CPU   percentage of one CPU the NF's process used over 5 s with no
             traffic (utime + stime of /proc/<pid>/stat); for the VM, the
             whole QEMU process
  wake-up    round-trip time of single pings, 200 ms apart (so a sleeping NF
             is asleep when each arrives), from namespace A through the core
             and netvm-l3fwd to namespace B and back: median, min, max in µs

Set-up: netvm-core with two net_af_packet ports on veth pairs to two
namespaces, every packet to role 1 (netvm-l3fwd, LPM routes). Needs root,
hugepages, iproute2, ethtool, ping; the VM part needs scripts/build-guest.sh's
image (skipped otherwise, or with --no-vm).

  scripts/lib/wake_bench.py --build-dir build [--pings 21] [--json out.json] [--no-vm]
"""

import argparse
import atexit
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests", "vm"))

import glue  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import guest as nvguest  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Proc, nf_cpu  # noqa: E402
from nvtest.telemetry import nf_ids  # noqa: E402

ROLE = 1
SLEEP_US = 1000
CPU_WINDOW_S = 5.0
CONFIG = f"""core = {{ pool_buffers = 4095; buffer_size = 4096; }};
roles = ( {{ id = {ROLE}; name = "l3fwd"; }} );
rules = ( {{ in_port = 0; role = {ROLE}; }}, {{ in_port = 1; role = {ROLE}; }} );
default = {{ action = "drop"; }};
"""
TIME_RE = re.compile(r"icmp_seq=\d+ .*time=([\d.]+) ms")
GUEST_ROUTES = "/etc/netvm/routes"


class BenchError(Exception):
    """A step of the set-up failed; the message says which."""


def cpu_ticks(pid):
    """utime + stime of process @pid, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def idle_cpu(pid, window=CPU_WINDOW_S):
    """Percent of one CPU process @pid used over @window seconds."""
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = time.monotonic(), cpu_ticks(pid)
    time.sleep(window)
    t1, c1 = time.monotonic(), cpu_ticks(pid)
    return 100.0 * (c1 - c0) / hz / (t1 - t0)


def ping_rtts(a, dst, count, interval=0.2):
    """RTTs (µs) of @count pings from namespace @a to @dst, @interval s apart."""
    argv = a.exec_argv([nvenv.which("ping") or "ping", "-n", "-c", str(count), "-W", "5",
                        "-i", str(interval), dst])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=count * interval + 30)
    return [float(x) * 1000.0 for x in TIME_RE.findall(r.stdout)]


def warm_up(a, dst, timeout):
    """Ping until one reply comes back (the NF forwards); raises BenchError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ping_rtts(a, dst, 1):
            return
    raise BenchError(f"no ping reply from {dst} within {timeout:.0f} s")


def wait_instance(core, before, timeout):
    """Wait for a new instance of role 1 in the core's counters; its id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = set(nf_ids(core.stats(), ROLE)) - before
        if new:
            return min(new)
        time.sleep(0.1)
    raise BenchError(f"no NF of role {ROLE} attached within {timeout:.0f} s")


def measure(label, pid, a, b, pings):
    """Idle CPU of @pid, then the ping RTTs; one result row."""
    time.sleep(1.0)  # let the NF fall asleep (or settle)
    cpu = idle_cpu(pid)
    rtts = ping_rtts(a, b.addr, pings)
    row = {"nf": label, "idle_cpu_pct": round(cpu, 2), "pings": pings, "replies": len(rtts)}
    if rtts:
        row.update(rtt_median_us=round(statistics.median(rtts), 1),
                   rtt_min_us=round(min(rtts), 1), rtt_max_us=round(max(rtts), 1))
    print(f"  {label}: idle CPU {cpu:.2f} %, {len(rtts)}/{pings} replies"
          + (f", median RTT {row['rtt_median_us']:.0f} µs" if rtts else ""), flush=True)
    return row


def host_run(env, core, a, b, routes, sleeping, pings):
    """netvm-l3fwd as a host process, polling or sleeping; its row."""
    label = "host " + ("sleep" if sleeping else "poll")
    argv = ["taskset", "-c", nf_cpu(), env.binary(nvenv.L3FWD_BIN), "-s", core.sock,
            "-r", str(ROLE)]
    if sleeping:
        argv += ["--sleep-after-us", str(SLEEP_US)]
    argv += ["--", "--mode", "lpm", "--routes", routes]
    nf = Proc(env, f"l3fwd-{'sleep' if sleeping else 'poll'}", argv)
    before = set(nf_ids(core.stats(), ROLE))
    nf.start()
    try:
        wait_instance(core, before, 20)
        warm_up(a, b.addr, 10)
        return measure(label, nf.pid, a, b, pings)
    finally:
        nf.stop()


def vm_run(env, core, a, b, routes, sleeping, pings):
    """netvm-l3fwd in a QEMU guest (glue), polling or sleeping; its row."""
    accel = nvguest.accel(glue.guest_dir())
    label = f"vm/{accel} " + ("sleep" if sleeping else "poll")
    opt = f" --sleep-after-us {SLEEP_US}" if sleeping else ""
    with open(routes, "rb") as f:
        files = {GUEST_ROUTES: f.read()}
    vm = glue.Vm(env.workdir, core.sock, core.prefix, ROLE,
                 f"/bin/netvm-l3fwd --transport uio -r {ROLE}{opt} -- --mode lpm "
                 f"--routes {GUEST_ROUTES}", files, tag="sleep" if sleeping else "poll")
    try:
        vm.start()
    except glue.GlueError as exc:
        raise BenchError(str(exc)) from exc
    try:
        deadline = time.monotonic() + 90
        while vm.nf_state() != "running":
            if time.monotonic() > deadline or vm.exited.is_set():
                raise BenchError(f"guest NF not running:\n{vm.console()[-800:]}")
            time.sleep(0.2)
        warm_up(a, b.addr, 30)
        return measure(label, vm.qemu.pid, a, b, pings)
    finally:
        vm.close()


def table(rows):
    """The results as a small text table."""
    lines = [f"{'NF':<16} {'idle CPU %':>10} {'replies':>9} {'RTT median µs':>14} "
             f"{'min µs':>9} {'max µs':>9}"]
    for r in rows:
        med = r.get("rtt_median_us")
        lines.append(f"{r['nf']:<16} {r['idle_cpu_pct']:>10.2f} "
                     f"{r['replies']:>4}/{r['pings']:<4} "
                     + (f"{med:>14.0f} {r['rtt_min_us']:>9.0f} {r['rtt_max_us']:>9.0f}"
                        if med is not None else f"{'-':>14} {'-':>9} {'-':>9}"))
    return "\n".join(lines)


def setup_net(env):
    """Namespaces, route file, core engine; (core, a, b, routes path)."""
    a, b = nvnetns.make_pair(env)
    a.set_gateway_mac(a.host_mac)
    b.set_gateway_mac(b.host_mac)
    routes = env.path("routes")
    with open(routes, "w") as f:
        f.write(f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n")
    core = Core(env, "wb", CONFIG, [f"net_af_packet0,iface={a.host_if}",
                                    f"net_af_packet1,iface={b.host_if}"])
    err = core.start_ready()
    if err:
        raise BenchError(err)
    return core, a, b, routes


def main():
    """Run every case; exit 0 when each produced its figures."""
    p = argparse.ArgumentParser(prog="wake_bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.environ.get("NETVM_BUILD", "build"))
    p.add_argument("--source-dir", default=SRC)
    p.add_argument("--pings", type=int, default=21, help="pings per case (default 21)")
    p.add_argument("--json", default="wake_bench.json", help="JSON output file")
    p.add_argument("--no-vm", action="store_true", help="host-process NF only")
    args = p.parse_args()
    env = nvenv.TestEnv("wake_bench", args)
    env.failed = False
    atexit.register(env.run_cleanups)
    if env.binary(nvenv.CORE_BIN) is None or env.binary(nvenv.L3FWD_BIN) is None:
        sys.exit(f"wake_bench: {args.build_dir} has no netvm-core / netvm-l3fwd; build first")
    rows, failed = [], False
    try:
        core, a, b, routes = setup_net(env)
        cases = [(host_run, False), (host_run, True)]
        gdir = glue.guest_dir(env.source_dir)
        if args.no_vm:
            pass
        elif glue.image_missing(gdir):
            print(f"wake_bench: no guest image in {gdir} (scripts/build-guest.sh): "
                  "VM cases skipped", flush=True)
        else:
            os.environ["NETVM_GUEST_DIR"] = gdir
            cases += [(vm_run, False), (vm_run, True)]
        for fn, sleeping in cases:
            try:
                rows.append(fn(env, core, a, b, routes, sleeping, args.pings))
            except (BenchError, OSError, subprocess.SubprocessError) as exc:
                print(f"wake_bench: {fn.__name__} sleeping={sleeping}: {exc}", flush=True)
                failed = True
    except (BenchError, OSError, subprocess.SubprocessError) as exc:
        print(f"wake_bench: set-up failed: {exc}", flush=True)
        sys.exit(1)
    print(table(rows))
    with open(args.json, "w") as f:
        json.dump({"sleep_after_us": SLEEP_US, "cpu_window_s": CPU_WINDOW_S,
                   "ping_interval_s": 0.2, "results": rows}, f, indent=2)
        f.write("\n")
    print(f"wake_bench: results in {args.json}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
