#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn the raw logs of scripts/bench.sh into per-trial figures and a summary.

  bench_report.py testpmd --case C --trial N --out JSON --log LOG
                  --sink P[,P...] [--cycles LABEL=LOG ...]
      rate = packets/s sent on the sink ports: the sum of their "Tx-pps"
      in the second "show port stats" (and any later one, averaged).
  bench_report.py netvm --case C --trial N --out JSON --samples JSONL
                  --core-log LOG [--note WHY-IT-FAILED]
      rate = growth of the sum of port<P>_tx between the first and the last
      telemetry sample of /netvm/stats.
  Both write one trial JSON object to JSON and print the rate on one line.
  bench_report.py summary DIR [--pingpong FILE]
      reads DIR/*.trial.json (and DIR/*.skipped), prints the table and writes
      DIR/summary.json.

A trial that cannot be measured is printed as {"error": "..."}; the
sub-commands exit 0 so that one broken setup does not hide the others.
"""

import argparse
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

# Display order and names of the setups (ids are bench.sh's).
CASES = [
    ("testpmd-io", "testpmd-io"),
    ("ring", "net_ring pipeline"),
    ("memif", "memif zero-copy"),
    ("memif-copy", "memif copy"),
    ("vhost", "vhost-user virtio"),
    ("netvm", "netvm"),
    ("memif-macswap", "memif zc macswap"),
    ("netvm-macswap", "netvm macswap"),
]
# (numerator, denominator) case ids of the ratios printed.
RATIOS = [("netvm", c) for c in ("ring", "memif", "memif-copy", "vhost", "testpmd-io")] + \
    [("netvm-macswap", "memif-macswap")]

CYCLES_RE = re.compile(r"CPU cycles/packet=([\d.]+) \(total cycles=(\d+) / "
                       r"total \S+ packets=(\d+)\) at (\d+) MHz")
PORT_RE = re.compile(r"NIC statistics for port (\d+)")
TXPPS_RE = re.compile(r"Tx-pps:\s+(\d+)")
STAT_RE = re.compile(r"^stat (\S+) (-?\d+)\s*$", re.M)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def testpmd_samples(text, sinks):
    """Per "show port stats", the sum of Tx-pps over the sink ports."""
    per_port = {}
    parts = PORT_RE.split(text)
    for port, body in zip(parts[1::2], parts[2::2]):
        m = TXPPS_RE.search(body)
        if m:
            per_port.setdefault(int(port), []).append(int(m.group(1)))
    if not all(p in per_port for p in sinks):
        return []
    return [sum(v) for v in zip(*(per_port[p] for p in sinks))]


def testpmd_cycles(text):
    """testpmd's --record-core-cycles figure, or None."""
    m = CYCLES_RE.search(text)
    if not m or float(m.group(1)) <= 0 or int(m.group(3)) >= 1 << 63:
        # Seen: a memif NF reporting 0.00 over a wrapped packet count.
        return None
    return float(m.group(1))


def testpmd_trial(args):
    out = {"case": args.case, "trial": args.trial}
    try:
        text = read(args.log)
    except OSError as e:
        return dict(out, error=f"no log: {e}")
    sinks = [int(p) for p in args.sink.split(",")]
    # The first show has nothing to compare with (0); the next ones give the
    # rate since the one before.
    kept = testpmd_samples(text, sinks)[1:]
    out["samples_pps"] = kept
    cycles = {}
    for spec in args.cycles or []:
        label, _, path = spec.partition("=")
        try:
            c = testpmd_cycles(read(path))
        except OSError:
            c = None
        if c is not None:
            cycles[label] = c
    out["cycles_per_pkt"] = cycles
    if not kept or min(kept) <= 0:
        tail = " | ".join(text.strip().splitlines()[-3:])
        return dict(out, error=f"no rate for port(s) {args.sink} ({tail})")
    out["rate_pps"] = statistics.fmean(kept)
    return out


def netvm_trial(args):
    out = {"case": args.case, "trial": args.trial}
    try:
        core = read(args.core_log)
    except OSError:
        core = ""
    stats = {k: int(v) for k, v in STAT_RE.findall(core)}
    out["core_cycles"] = {k: v for k, v in stats.items() if k.startswith("cycles")}
    out["core_final"] = stats
    last_line = (core.strip().splitlines() or ["(empty)"])[-1]
    if args.note:
        return dict(out, error=f"{args.note}; core log ends: {last_line}")
    try:
        rows = [json.loads(line) for line in read(args.samples).splitlines() if line]
    except (OSError, ValueError) as e:
        return dict(out, error=f"no telemetry samples ({e})")
    rows = [r for r in rows if isinstance(r.get("reply"), dict)]
    if len(rows) < 2:
        return dict(out, error="fewer than two /netvm/stats replies")
    first, last = rows[0], rows[-1]
    tx_keys = sorted(k for k in last["reply"] if re.fullmatch(r"port\d+_tx", k))
    if not tx_keys:
        return dict(out, error="/netvm/stats has no port<P>_tx counters")
    dt = last["t"] - first["t"]

    def delta(key):
        return last["reply"].get(key, 0) - first["reply"].get(key, 0)

    out["rate_pps"] = sum(delta(k) for k in tx_keys) / dt
    out["per_port_pps"] = {k: delta(k) / dt for k in tx_keys}
    out["nf_pps"] = {k: delta(k) / dt for k in last["reply"]
                     if re.fullmatch(r"nf\d+_(rx|tx)", k)}
    out["drops_pps"] = {k: delta(k) / dt for k in last["reply"]
                        if k.startswith("drop_") and delta(k) > 0}
    out["window_s"] = dt
    if out["rate_pps"] <= 0:
        return dict(out, error="no packet sent during the window")
    return out


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def machine_info(pingpong):
    info = {"cpu_model": None, "cpus": os.cpu_count(), "kernel": platform.release()}
    try:
        for line in read("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        info["dpdk"] = subprocess.run(["pkg-config", "--modversion", "libdpdk"],
                                      capture_output=True, text=True,
                                      check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["dpdk"] = None
    info["cacheline_rtt_ns"] = None
    if pingpong:
        try:
            f = read(pingpong).split()
            if f and f[0] == "pingpong_ns":
                med, lo, hi = (float(x) for x in f[1:4])
                info["cacheline_rtt_ns"] = {"median": med, "min": lo, "max": hi}
        except (OSError, ValueError):
            pass
    return info


def collect(directory):
    """Summary entry per case id from the trial files in directory."""
    results = {}
    for cid, name in CASES:
        trials = []
        for path in sorted(glob.glob(os.path.join(directory, f"{cid}.*.trial.json"))):
            try:
                trials.append(json.loads(read(path)))
            except (OSError, ValueError) as e:
                trials.append({"error": f"{os.path.basename(path)}: {e}"})
        skipped = os.path.join(directory, f"{cid}.skipped")
        entry = {"name": name, "trials": trials}
        ok = [t for t in trials if "rate_pps" in t and "error" not in t]
        if os.path.exists(skipped):
            entry["status"] = "skipped"
            entry["note"] = read(skipped).strip()
        elif not trials:
            continue
        elif not ok:
            entry["status"] = "failed"
            entry["note"] = trials[0].get("error", "no result")
        else:
            entry["status"] = "ok" if len(ok) == len(trials) else "partial"
            entry["rate_mpps"] = spread([t["rate_pps"] / 1e6 for t in ok])
            cyc = {}
            for t in ok:
                for k, v in t.get("cycles_per_pkt", {}).items():
                    cyc.setdefault(k, []).append(v)
                for k, v in t.get("core_cycles", {}).items():
                    # The core prints fixed-point figures as NAME_x100.
                    if k.endswith("_x100"):
                        k, v = k[:-len("_x100")], v / 100
                    cyc.setdefault(k, []).append(v)
            entry["cycles_per_pkt"] = {k: statistics.median(v) for k, v in cyc.items()}
            if entry["status"] == "partial":
                entry["note"] = next(t["error"] for t in trials if "error" in t)
        results[cid] = entry
    return results


def ratios(results):
    """Ratio of the median rates per RATIOS pair whose cases both ran."""
    out = {}
    names = dict(CASES)
    for num, den in RATIOS:
        if num not in results or den not in results:
            continue
        a = results[num].get("rate_mpps")
        b = results[den].get("rate_mpps")
        key = f"{names[num]} / {names[den]}"
        out[key] = round(a["median"] / b["median"], 4) if a and b else None
    return out


def fmt_cycles(cyc):
    return ", ".join(f"{k} {v:.1f}" for k, v in cyc.items()) if cyc else "-"


def summary(args):
    directory = args.dir
    try:
        meta = json.loads(read(os.path.join(directory, "run.json")))
    except (OSError, ValueError):
        meta = {}
    results = collect(directory)
    doc = {
        "date": meta.get("date", time.strftime("%Y-%m-%dT%H:%M:%S%z")),
        "packet_size": 64,
        "trials": meta.get("trials"),
        "trial_seconds": meta.get("seconds"),
        "metric": "packets/s that completed the whole path, summed over sink ports",
        "machine": machine_info(args.pingpong),
        "results": results,
        "ratios": ratios(results),
    }
    with open(os.path.join(directory, "summary.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    m = doc["machine"]
    rtt = m["cacheline_rtt_ns"]
    print(f"64 B round-trip rate, median of {doc['trials']} trials of "
          f"{doc['trial_seconds']} s [min - max]")
    print(f"machine: {m['cpu_model']}, {m['cpus']} CPUs, DPDK {m['dpdk']}, "
          f"kernel {m['kernel']}")
    if rtt:
        print(f"cache-line round trip CPU 0 <-> CPU 1: {rtt['median']:.0f} ns "
              f"[{rtt['min']:.0f} - {rtt['max']:.0f}]")
    else:
        print("cache-line round trip CPU 0 <-> CPU 1: not measured")
    print()
    print(f"{'setup':<20} {'Mpps':>8} {'min':>8} {'max':>8}  cycles/packet")
    for cid, name in CASES:
        e = results.get(cid)
        if e is None:
            continue
        r = e.get("rate_mpps")
        if r:
            print(f"{name:<20} {r['median']:8.2f} {r['min']:8.2f} {r['max']:8.2f}  "
                  f"{fmt_cycles(e.get('cycles_per_pkt'))}")
        if e["status"] != "ok":
            print(f"{name:<20} {e['status']}: {e.get('note', '')}")
    print()
    for key, val in doc["ratios"].items():
        print(f"{key:<34} {val:.3f}" if val is not None else f"{key:<34} n/a")
    print(f"\nJSON: {os.path.join(directory, 'summary.json')}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("testpmd")
    t.add_argument("--log", required=True)
    t.add_argument("--sink", required=True)
    t.add_argument("--cycles", action="append", metavar="LABEL=LOG")
    n = sub.add_parser("netvm")
    for p in (t, n):
        p.add_argument("--case", required=True)
        p.add_argument("--trial", type=int, required=True)
        p.add_argument("--out", required=True)
    n.add_argument("--samples", required=True)
    n.add_argument("--core-log", required=True)
    n.add_argument("--note", help="why the trial could not be measured")
    s = sub.add_parser("summary")
    s.add_argument("dir")
    s.add_argument("--pingpong")
    args = ap.parse_args()
    if args.cmd == "summary":
        return summary(args)
    trial = testpmd_trial(args) if args.cmd == "testpmd" else netvm_trial(args)
    with open(args.out, "w") as f:
        json.dump(trial, f)
        f.write("\n")
    if "error" in trial:
        print(f"  {args.case} trial {args.trial}: FAILED: {trial['error']}")
    else:
        print(f"  {args.case} trial {args.trial}: {trial['rate_pps'] / 1e6:.2f} Mpps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
