#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/bench.sh instr: instructions per packet of netvm-core's datapath.

    bench_instr.py OUTDIR

netvm-core runs under `valgrind --tool=callgrind --toggle-collect=core_dp_loop`
(everything the datapath loop executes, the DPDK drivers and mempool
included) with two net_null ports, for NETVM_BENCH_SECONDS (default 20) of
valgrind's slow time. An instruction count does not depend on the machine's
load, so two builds compare exactly (NETVM_BUILD; run the suite once per
build). Cases:

    drop    default action "drop", no NF: port RX, key extraction, flow
            hash, classification, drop (counted, buffer freed)
    bridge  default role 1, netvm-bridge on CPU 1 (natively): the round
            trip RX, classify, deliver, return, validate, TX
    bridge-unread  bridge with core.rx_parse = "when_needed": the round
            trip without reading the frames
    bridge-udp  bridge with IPv4/UDP frames of one flow (net_null's frames
            are all zeros, which the core reads as traffic that is not
            IP): port 0 is net_pcap replaying a pcap (infinite_rx: each RX
            copies a frame into a fresh buffer), port 1 a net_null sink
    bridge-flows  bridge-udp with 256 flows in turn: every burst of 64
            holds 64 flows (no run of one flow, a flow-table lookup each)
    bridge-flows-2  bridge-flows with two bridges on role 1 (both on CPU
            1; the core waits for both): the flow table spreads the flows
            over two instances, so a burst's runs go to two rings
    testpmd-io  dpdk-testpmd's io forwarding between the same two net_null
            ports on one lcore: net_null's RX and TX and testpmd's loop,
            no NetVM. The floor under the other cases (what every setup of
            peers pays on CPU 0 for its ports); the netvm cases less this
            are the core's own instructions. Counted over the forwarding
            lcore's thread (--separate-threads=yes), per packet received.

Per packet = instructions / packets the ports received. valgrind's cache
simulation (--cache-sim=yes: a 32 KiB 8-way first-level data cache and a
32 MiB 16-way last level, the same on every machine; one CPU, no other
process) counts the data lines
the loop misses per packet: the lines a packet costs that were not already
in the cache, as exact as the instructions (it does not see another CPU's
writes or prefetches' timing). The loop's idle
iterations while the bridge case waits for the NF's handshake count too:
compare functions (callgrind_annotate --inclusive=yes: rx_port, deliver)
for the per-packet path alone. Writes instr.json, instr.md and every log.
"""

import glob
import json
import os
import re
import subprocess
import sys
import time

import telemetry
from bench_trial import parse_stats, tool_suite_args, remove_dpdk_files, stop, write_flows_pcap

NF_TRIES = 5  # netvm-bridge starts (bridge case)
# --fair-sched=yes: valgrind runs one thread at a time, and without a fair
# lock the polling lcore starved the attach thread until NFs timed out.
# The simulated caches (size,associativity,line), the same on every machine
# so two runs compare: a host's own figures can be absurd (a VM reported a
# 512 MiB direct-mapped last level)
SIM_D1 = "32768,8,64"
SIM_LL = "33554432,16,64"
CASES = {"drop": 'default = { action = "drop"; };', "bridge": "default = { role = 1; };",
         "bridge-unread": "default = { role = 1; };", "bridge-udp": "default = { role = 1; };",
         "bridge-flows": "default = { role = 1; };",
         "bridge-flows-2": "default = { role = 1; };"}
# cases whose port 0 replays a pcap of IPv4/UDP frames, this many flows
PCAP_FLOWS = {"bridge-udp": 1, "bridge-flows": 256, "bridge-flows-2": 256}
# bridges on role 1, per case (default 1; none for drop)
NF_COUNT = {"drop": 0, "bridge-flows-2": 2}
# more keys of the core group, per case
CORE_KEYS = {"bridge-unread": ' rx_parse = "when_needed";'}
TESTPMD_CASES = ("testpmd-io",)


def port_sum(st, what):
    """Sum of the portN_<what> counters of a stat dictionary."""
    return sum(v for k, v in st.items() if re.fullmatch(rf"port\d+_{what}", k))


def start_bridge(out, build, name, sock, prefix, k=0, tries=NF_TRIES):
    """Start netvm-bridge number @k (from 0) on role 1 and wait until k + 1
    NFs are attached; an NF whose handshake timed out (valgrind's core
    answers slowly on a loaded machine) is started again, up to @tries
    times. Returns the process and its log's path."""
    for t in range(tries):
        logpath = os.path.join(out, f"{name}.nf{k}.{t}.log")
        with open(logpath, "w") as f:
            nf = subprocess.Popen(["taskset", "-c", "1",
                                   os.path.join(build, "apps/bridge/netvm-bridge"),
                                   "-s", sock, "-r", "1"], stdin=subprocess.DEVNULL,
                                  stdout=f, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while nf.poll() is None and time.monotonic() < deadline:
            if telemetry.wait_until(telemetry.socket_path(prefix), "/netvm/stats",
                                    "nfs_attached", k + 1, 1) is not None:
                return nf, logpath
        stop(nf)
    raise RuntimeError(f"netvm-bridge {k} did not attach in {tries} tries ({name}.nf*.log; an "
                       "NF times out its handshake when valgrind's core is too slow: run on "
                       "an idle machine)")


def run_case(out, build, name, seconds):
    prefix = f"nvinstr{os.getpid()}{name}"
    sock, conf = os.path.join(out, f"{name}.sock"), os.path.join(out, f"{name}.conf")
    cg = os.path.join(out, f"callgrind.{name}.out")
    with open(conf, "w") as f:
        f.write(f'core = {{ socket = "{sock}"; pool_buffers = 8192;{CORE_KEYS.get(name, "")} }};\n'
                f'{CASES[name]}\n')
    ports = ["--vdev", "net_null0,size=64", "--vdev", "net_null1,size=64"]
    if name in PCAP_FLOWS:
        pcap = os.path.join(out, f"{name}.pcap")
        write_flows_pcap(pcap, PCAP_FLOWS[name])
        ports = ["--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1",
                 "--vdev", "net_null0,no-rx=1"]
    nfs = []
    count = NF_COUNT.get(name, 1)
    log = open(os.path.join(out, f"{name}.core.log"), "w")
    core = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}", "--cache-sim=yes",
         "--fair-sched=yes", f"--D1={SIM_D1}", f"--LL={SIM_LL}",
         "--toggle-collect=core_dp_loop", os.path.join(build, "core/netvm-core"), "-l", "0",
         "--file-prefix", prefix, "--no-pci", *ports, "--", "-c", conf, "-s", sock,
         "--single-lcore",
         "--wait-nfs", str(count)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not os.path.exists(sock):
            if core.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"netvm-core did not open {sock} ({name}.core.log)")
            time.sleep(0.1)
        for k in range(count):
            nfs.append(start_bridge(out, build, name, sock, prefix, k))
        time.sleep(seconds)
    finally:
        stop(core, 60)  # valgrind writes its profile as the core exits
        for nf, _ in nfs:
            stop(nf)
        log.close()
        remove_dpdk_files(prefix)
    with open(os.path.join(out, f"{name}.core.log")) as f:
        st = parse_stats(f.read())
    with open(cg) as f:
        ev = events(f.read())
    res = tally(ev, port_sum(st, "rx"), port_sum(st, "tx"),
                {k: v for k, v in st.items() if k.startswith("drop_") and v})
    # what each bridge received (its count as it exits): with several, a
    # case is void unless the flows reached every one of them
    res["nf_rx"] = [nf_rx(logpath) for _, logpath in nfs]
    if count > 1 and not all(res["nf_rx"]):
        raise RuntimeError(f"the flows did not reach every bridge (received {res['nf_rx']}; "
                           f"{name}.nf*.log)")
    return res


def nf_rx(logpath):
    """The packets a bridge received, from the counters it prints as it
    exits (0 if it printed none)."""
    with open(logpath) as f:
        m = re.search(r"^rx (\d+)$", f.read(), re.M)
    return int(m.group(1)) if m else 0


def run_testpmd(out, name, seconds):
    """dpdk-testpmd under callgrind, io forwarding net_null0 <-> net_null1 on
    lcore 1, for @seconds once forwarding has started (a newline on its
    stdin ends it). Instructions and misses are the forwarding thread's (the
    thread that executed the most)."""
    prefix = f"nvinstr{os.getpid()}{name}"
    cg = os.path.join(out, f"callgrind.{name}.out")
    logpath = os.path.join(out, f"{name}.testpmd.log")
    with open(logpath, "w") as log:
        # stdbuf: testpmd's "Press enter to exit" (forwarding started)
        # reaches the log at once, not when it exits
        tp = subprocess.Popen(
            ["stdbuf", "-oL", "valgrind", "--tool=callgrind", f"--callgrind-out-file={cg}",
             "--cache-sim=yes", "--separate-threads=yes", "--fair-sched=yes",
             f"--D1={SIM_D1}", f"--LL={SIM_LL}",
             "dpdk-testpmd", "-l", "0,1", "--file-prefix", prefix, "--no-pci",
             "--vdev", "net_null0,size=64", "--vdev", "net_null1,size=64", "--",
             "--burst=64", "--forward-mode=io", "--nb-cores=1"],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            with open(logpath) as f:
                if "Press enter to exit" in f.read():
                    break
            if tp.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dpdk-testpmd did not start forwarding ({name}.testpmd.log)")
            time.sleep(0.2)
        time.sleep(seconds)
        tp.communicate(b"\n", timeout=120)  # testpmd prints its statistics and exits
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"dpdk-testpmd did not exit ({name}.testpmd.log)") from e
    finally:
        stop(tp, 60)
        remove_dpdk_files(prefix)
    with open(logpath) as f:
        text = f.read()
    acc = re.search(r"Accumulated forward statistics for all ports.*?RX-packets:\s*(\d+).*?"
                    r"TX-packets:\s*(\d+)", text, re.S)
    if not acc:
        raise RuntimeError(f"no forward statistics in {name}.testpmd.log")
    rx, tx = int(acc.group(1)), int(acc.group(2))
    threads = []
    for path in glob.glob(cg + "-*"):
        with open(path) as f:
            threads.append(events(f.read()))
    ev = max(threads, key=lambda e: e.get("Ir", 0), default={})
    return tally(ev, rx, tx, {})


def tally(ev, rx, tx, drops):
    """A case's result from its callgrind events and packet counts."""
    instr = ev.get("Ir", 0)
    d1 = ev.get("D1mr", 0) + ev.get("D1mw", 0)
    ll = ev.get("DLmr", 0) + ev.get("DLmw", 0)
    return {"instructions": instr, "rx": rx, "tx": tx, "events": ev,
            "per_rx": instr / rx if rx else None, "per_tx": instr / tx if tx else None,
            "d1_miss_per_rx": d1 / rx if rx else None, "ll_miss_per_rx": ll / rx if rx else None,
            "drops": drops}


def events(text):
    """{event: count} of a callgrind profile's summary (Ir, and with the
    cache simulation Dr, Dw, D1mr, D1mw, DLmr, DLmw, ...)."""
    names = re.search(r"^events: (.+)$", text, re.M)
    total = re.search(r"^(?:summary|totals): ([\d ]+)$", text, re.M)
    if not names or not total:
        return {}
    return dict(zip(names.group(1).split(), (int(v) for v in total.group(1).split())))


def main():
    out, build, seconds = tool_suite_args("bench_instr.py", "valgrind", "valgrind", "20")
    res = {}
    known = list(CASES) + list(TESTPMD_CASES)
    for name in os.environ.get("NETVM_BENCH_CASES", " ".join(known)).split():
        if name not in known:
            sys.exit(f"bench: unknown instr case '{name}' ({' '.join(known)})")
        try:
            if name in TESTPMD_CASES:
                res[name] = run_testpmd(out, name, seconds)
            else:
                res[name] = run_case(out, build, name, seconds)
        except RuntimeError as e:
            sys.exit(f"bench: instr {name}: {e}")
    with open(os.path.join(out, "instr.json"), "w") as f:
        json.dump({"suite": "instr", "build": build, "seconds": seconds, "cases": res}, f,
                  indent=1)
    lines = ["| case | packets received | sent | instructions / packet received |"
             " / packet sent | L1 data misses / packet received | last-level misses / "
             "packet received | drops |", "|---|---|---|---|---|---|---|---|"]

    def num(v):
        return "-" if v is None else f"{v:.1f}"
    for name, r in res.items():
        lines.append(f"| {name} | {r['rx']} | {r['tx']} | {num(r['per_rx'])} | "
                     f"{num(r['per_tx'])} | {num(r['d1_miss_per_rx'])} | "
                     f"{num(r['ll_miss_per_rx'])} | "
                     + ", ".join(f"{k} {v}" for k, v in r["drops"].items()) + " |")
    with open(os.path.join(out, "instr.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r["rx"] for r in res.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
