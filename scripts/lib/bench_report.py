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
  Both take --affinity FILE (bench_common.sh's bench_affinity lines: the
  CPUs of every thread of the setup), write one trial JSON object to JSON and
  print the rate on one line.
  bench_report.py order ROUND CASE...
      the setups in the order round ROUND (1, 2, ...) runs them.
  bench_report.py summary DIR
      reads DIR/*.trial.json (and DIR/*.skipped), DIR/schedule.jsonl (when
      each trial ran) and DIR/witness.jsonl (the host's load between rounds),
      prints the table and writes DIR/summary.json.

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

import bench_machine

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
    ("netvm-unread", "netvm unread"),
    ("netvm-macswap-unread", "netvm macswap unread"),
    ("netvm-b", "netvm (build B)"),
    ("netvm-macswap-b", "netvm macswap (build B)"),
    ("netvm-unread-b", "netvm unread (build B)"),
    ("netvm-macswap-unread-b", "netvm macswap unread (build B)"),
]
# (numerator, denominator) case ids of the ratios printed.
RATIOS = [("netvm", c) for c in ("ring", "memif", "memif-copy", "vhost", "testpmd-io")] + \
    [("netvm-macswap", "memif-macswap"), ("netvm", "netvm-b"),
     ("netvm-macswap", "netvm-macswap-b")] + \
    [("netvm-unread", c) for c in ("ring", "memif", "netvm")] + \
    [("netvm-macswap-unread", c) for c in ("memif-macswap", "netvm-macswap")] + \
    [("netvm-unread", "netvm-unread-b"), ("netvm-macswap-unread", "netvm-macswap-unread-b")]

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


def round_order(cases, rnd):
    """The setups in the order of round rnd (1-based): a Williams design.
    The first round runs 0, 1, n-1, 2, n-2, ...; round r adds r-1 to every
    index (mod n), so over n rounds (2n, each second block reversed, when n
    is odd) each setup directly follows every other one equally often."""
    n = len(cases)
    if n == 0:
        return []
    first, lo, hi = [0], 1, n - 1
    while len(first) < n:
        first.append(lo)
        lo += 1
        if len(first) < n:
            first.append(hi)
            hi -= 1
    r = rnd - 1
    seq = [cases[(i + r) % n] for i in first]
    return seq[::-1] if n % 2 and (r // n) % 2 else seq


def affinity(path):
    """{"threads": [{"process", "task", "comm", "cpus"}], "pinned": bool}:
    pinned when every thread but testpmd's timeout wrapper may run on one
    CPU only; None without the file."""
    if not path:
        return None
    try:
        lines = read(path).splitlines()
    except OSError:
        return None
    threads = []
    for line in lines:
        f = line.split()
        if len(f) == 4:
            threads.append({"process": f[0], "task": f[1], "comm": f[2], "cpus": f[3]})
    work = [t for t in threads if t["comm"] != "timeout"]
    return {"threads": threads,
            "pinned": bool(work) and all(t["cpus"].isdigit() for t in work)}


def testpmd_trial(args):
    out = {"case": args.case, "trial": args.trial, "affinity": affinity(args.affinity)}
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
    out = {"case": args.case, "trial": args.trial, "affinity": affinity(args.affinity)}
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
    out["mean_burst"] = mean_bursts(last["reply"], delta)
    out["window_s"] = dt
    if out["rate_pps"] <= 0:
        return dict(out, error="no packet sent during the window")
    return out


def mean_bursts(reply, delta):
    """Packets per non-empty burst over the window: the ports' RX bursts
    (port<P>_rx / port<P>_rx_bursts) and the NFs' returns (nf<I>_tx /
    nf<I>_tx_bursts); a key is left out when its bursts did not grow."""
    out = {}
    for label, pkts, bursts in (("port_rx", r"port\d+_rx", r"port\d+_rx_bursts"),
                                ("nf_return", r"nf\d+_tx", r"nf\d+_tx_bursts")):
        n = sum(delta(k) for k in reply if re.fullmatch(pkts, k))
        b = sum(delta(k) for k in reply if re.fullmatch(bursts, k))
        if b > 0:
            out[label] = n / b
    return out


def spread(values):
    """{median, min, max, spread_pct}: spread_pct = (max - min) / median, in %."""
    med = statistics.median(values)
    return {"median": med, "min": min(values), "max": max(values),
            "spread_pct": round(100 * (max(values) - min(values)) / med, 1) if med else None}


def machine_info(witnesses):
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
    # The witness taken before the first round.
    info["cacheline_rtt_ns"] = witnesses[0]["cacheline_rtt_ns"] if witnesses else None
    return info


def jsonl(path):
    """The JSON objects of a file of one object per line ([] without it)."""
    try:
        return [json.loads(line) for line in read(path).splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def collect(directory, schedule, witnesses):
    """Summary entry per case id from the trial files in directory; each
    trial gets its round, times and the witness nearest to its middle."""
    results = {}
    when = {(w["case"], w["trial"]): w for w in schedule}
    for cid, name in CASES:
        trials = []
        for path in sorted(glob.glob(os.path.join(directory, f"{cid}.*.trial.json"))):
            try:
                trials.append(json.loads(read(path)))
            except (OSError, ValueError) as e:
                trials.append({"error": f"{os.path.basename(path)}: {e}"})
        trials.sort(key=lambda t: t.get("trial") or 0)
        for t in trials:
            w = when.get((cid, t.get("trial")))
            if w:
                t.update(round=w["round"], start=w["start"], end=w["end"])
                i = bench_machine.nearest(witnesses, (w["start"] + w["end"]) / 2)
                t["witness"] = i
                t["disturbed"] = None if i is None else witnesses[i]["disturbed"]
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
            entry["cycles_spread"] = {k: spread(v) for k, v in cyc.items()}
            bursts = {}
            for t in ok:
                for k, v in t.get("mean_burst", {}).items():
                    bursts.setdefault(k, []).append(v)
            if bursts:
                entry["mean_burst"] = {k: statistics.median(v) for k, v in bursts.items()}
            entry["disturbed_trials"] = [t["trial"] for t in trials if t.get("disturbed")]
            pins = [t["affinity"]["pinned"] for t in trials if t.get("affinity")]
            entry["pinned"] = all(pins) if pins else None
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


def ratios_per_round(results):
    """Per RATIOS pair: numerator / denominator of the same round, for each
    round both measured, with their spread; None when no round has both."""
    out = {}
    names = dict(CASES)

    def by_round(cid):
        return {t["round"]: t for t in results[cid]["trials"]
                if "rate_pps" in t and "error" not in t and "round" in t}

    for num, den in RATIOS:
        if num not in results or den not in results:
            continue
        a, b = by_round(num), by_round(den)
        rounds = [{"round": r, "value": round(a[r]["rate_pps"] / b[r]["rate_pps"], 4),
                   "disturbed": bool(a[r].get("disturbed") or b[r].get("disturbed"))}
                  for r in sorted(set(a) & set(b))]
        key = f"{names[num]} / {names[den]}"
        if not rounds:
            out[key] = None
            continue
        calm = [x["value"] for x in rounds if not x["disturbed"]]
        out[key] = dict(spread([x["value"] for x in rounds]), rounds=rounds,
                        median_undisturbed=statistics.median(calm) if calm else None)
    return out


def host(witnesses, floor, results):
    """The verdict on the host's load (witnesses judged, floor their minimum
    round trip): {disturbed, rtt_min_ns, rtt_factor, cpus,
    disturbed_witnesses, disturbed_trials, text}."""
    bad = [w["label"] for w in witnesses if w["disturbed"]]
    trials = [f"{cid}#{t['trial']}" for cid, e in results.items()
              for t in e["trials"] if t.get("disturbed")]
    total = sum(len(e["trials"]) for e in results.values())
    if not witnesses:
        text = "host load not witnessed (no witness.jsonl)"
    elif not bad:
        text = (f"host calm: every witness within {bench_machine.RTT_FACTOR:g}x the "
                f"minimum round trip and load average <= {os.cpu_count()}")
    else:
        rtt = [w["cacheline_rtt_ns"]["median"] for w in witnesses
               if w["cacheline_rtt_ns"] and w["cacheline_rtt_ns"]["median"] >
               bench_machine.RTT_FACTOR * floor]
        load = [w["loadavg"] for w in witnesses if w["loadavg"] > os.cpu_count()]
        why = []
        if rtt:
            why.append(f"{len(rtt)} with a round trip > {bench_machine.RTT_FACTOR:g}x the "
                       f"run's minimum {floor:.0f} ns (up to {max(rtt):.0f} ns)")
        if load:
            why.append(f"{len(load)} with a load average > {os.cpu_count()} CPUs "
                       f"(up to {max(load):.1f})")
        text = (f"HOST DISTURBED at {len(bad)} of {len(witnesses)} witnesses: "
                f"{'; '.join(why)}; {len(trials)} of {total} trials disturbed")
    return {"disturbed": bool(bad), "rtt_min_ns": floor,
            "rtt_factor": bench_machine.RTT_FACTOR, "cpus": os.cpu_count(),
            "disturbed_witnesses": bad, "disturbed_trials": trials, "text": text}


def rounds_of(schedule, witnesses):
    """[{round, order, witness_after}]: what each round ran, in order."""
    out = {}
    for w in sorted(schedule, key=lambda x: x["start"]):
        out.setdefault(w["round"], []).append(w["case"])
    labels = {w["label"]: i for i, w in enumerate(witnesses)}
    return [{"round": r, "order": order, "witness_after": labels.get(f"after round {r}")}
            for r, order in sorted(out.items())]


def fmt_cycles(entry):
    """A setup's cycles per packet: "LABEL MEDIAN (SPREAD %), ..." or "-"."""
    cyc = entry.get("cycles_spread") or {}
    return ", ".join(f"{k} {v['median']:.1f} ({_pct(v)})" for k, v in cyc.items()) or "-"


def _pct(v):
    return "-" if v.get("spread_pct") is None else f"{v['spread_pct']:.0f} %"


def fmt_spread(v, digits=2):
    """"median [min - max] spread %" of a spread() dict, "-" for None"""
    if not v:
        return "-"
    pct = "-" if v.get("spread_pct") is None else f"{v['spread_pct']:.1f} %"
    return f"{v['median']:.{digits}f} [{v['min']:.{digits}f} - {v['max']:.{digits}f}] {pct}"


def summary(args):
    directory = args.dir
    try:
        meta = json.loads(read(os.path.join(directory, "run.json")))
    except (OSError, ValueError):
        meta = {}
    witnesses = jsonl(os.path.join(directory, "witness.jsonl"))
    schedule = jsonl(os.path.join(directory, "schedule.jsonl"))
    floor = bench_machine.judge(witnesses)
    results = collect(directory, schedule, witnesses)
    doc = {
        "date": meta.get("date", time.strftime("%Y-%m-%dT%H:%M:%S%z")),
        "packet_size": 64,
        "trials": meta.get("trials"),
        "trial_seconds": meta.get("seconds"),
        "warmup_seconds": meta.get("warmup_seconds"),
        "metric": "packets/s that completed the whole path, summed over sink ports",
        "machine": machine_info(witnesses),
        "results": results,
        "ratios": ratios(results),
        "ratios_per_round": ratios_per_round(results),
        "rounds": rounds_of(schedule, witnesses),
        "witness": witnesses,
        "host": host(witnesses, floor, results),
    }
    with open(os.path.join(directory, "summary.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")

    m = doc["machine"]
    print(f"64 B round-trip rate of {doc['trials']} interleaved round(s), one trial of "
          f"{doc['warmup_seconds']} s warm-up + {doc['trial_seconds']} s per setup per round: "
          "median [min - max] spread")
    print(f"machine: {m['cpu_model']}, {m['cpus']} CPUs, DPDK {m['dpdk']}, "
          f"kernel {m['kernel']}")
    print("witness (cache-line round trip CPU 0 <-> CPU 1, load average):")
    for w in witnesses:
        r = w["cacheline_rtt_ns"]
        rtt = "not measured" if r is None else f"{r['median']:.0f} ns"
        print(f"  {w['label']:<16} {rtt:>12}  load {w['loadavg']:5.2f}"
              f"{'  DISTURBED' if w['disturbed'] else ''}")
    print(doc["host"]["text"])
    print()
    print(f"{'setup':<20} {'Mpps':>8} {'min':>8} {'max':>8} {'spread':>8}  pinned  "
          "disturbed  cycles/packet")
    for cid, name in CASES:
        e = results.get(cid)
        if e is None:
            continue
        r = e.get("rate_mpps")
        if r:
            pinned = {True: "yes", False: "NO", None: "?"}[e.get("pinned")]
            dist = ",".join(f"#{t}" for t in e["disturbed_trials"]) or "-"
            print(f"{name:<20} {r['median']:8.2f} {r['min']:8.2f} {r['max']:8.2f} "
                  f"{r['spread_pct']:7.1f}%  {pinned:<6}  {dist:<9}  "
                  f"{fmt_cycles(e)}")
        if e["status"] != "ok":
            print(f"{name:<20} {e['status']}: {e.get('note', '')}")
    bursts = [(name, results[cid]["mean_burst"]) for cid, name in CASES
              if results.get(cid, {}).get("mean_burst")]
    if bursts:
        print("\npackets per non-empty burst (of at most 64), median over the trials:")
        for name, b in bursts:
            print(f"  {name:<20} port RX {b.get('port_rx', 0):5.1f}   "
                  f"NF returns {b.get('nf_return', 0):5.1f}")
    print()
    print(f"{'ratio':<34} {'of medians':>10}  per round: median [min - max] spread")
    for key, val in doc["ratios"].items():
        pr = doc["ratios_per_round"].get(key)
        print(f"{key:<34} {'n/a' if val is None else f'{val:.3f}':>10}  "
              f"{fmt_spread(pr, 3)}")
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
        p.add_argument("--affinity", metavar="FILE")
        p.add_argument("--case", required=True)
        p.add_argument("--trial", type=int, required=True)
        p.add_argument("--out", required=True)
    n.add_argument("--samples", required=True)
    n.add_argument("--core-log", required=True)
    n.add_argument("--note", help="why the trial could not be measured")
    s = sub.add_parser("summary")
    s.add_argument("dir")
    o = sub.add_parser("order")
    o.add_argument("round", type=int)
    o.add_argument("cases", nargs="*")
    args = ap.parse_args()
    if args.cmd == "summary":
        return summary(args)
    if args.cmd == "order":
        print(" ".join(round_order(args.cases, args.round)))
        return 0
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
