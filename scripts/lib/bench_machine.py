#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What machine a benchmark ran on: recorded with every result."""

import json
import os
import platform
import subprocess
import sys
import time


def _cpuinfo(key):
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def describe():
    """{cpu_model, cpus, cpu_mhz, kernel, dpdk}; unknown fields say 'unknown'."""
    r = subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True,
                       text=True)
    return {"cpu_model": _cpuinfo("model name"), "cpus": os.cpu_count(),
            "cpu_mhz": _cpuinfo("cpu MHz"), "kernel": platform.release(),
            "dpdk": r.stdout.strip() if r.returncode == 0 else "unknown"}


def cacheline_rtt(workdir, cpu_a=0, cpu_b=1):
    """The cache-line round trip between two CPUs (pingpong.c, compiled into
    workdir): {median, min, max} in ns, or None when it cannot be measured.
    Hundreds of ns are usual on these machines; thousands say the CPUs were
    shared with other work while it ran (the host disturbed the run)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pingpong.c")
    exe = os.path.join(workdir, "pingpong")
    try:
        if not os.path.exists(exe):
            subprocess.run(["cc", "-O2", "-std=gnu11", "-pthread", "-o", exe, src],
                           check=True, capture_output=True)
        r = subprocess.run([exe, str(cpu_a), str(cpu_b)], check=True, capture_output=True,
                           text=True, timeout=60)
        _, med, lo, hi = r.stdout.split()
        return {"median": float(med), "min": float(lo), "max": float(hi)}
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


# A witness is disturbed when its cache-line round trip is more than
# RTT_FACTOR times the smallest of the run, or its load average is above the
# CPU count.
RTT_FACTOR = 2.0


def witness(workdir, label=None):
    """What the host's load was like now: {t (Unix time), label,
    cacheline_rtt_ns ({median, min, max} or None), loadavg (1 minute)}."""
    rtt = cacheline_rtt(workdir)
    return {"t": time.time(), "label": label, "cacheline_rtt_ns": rtt,
            "loadavg": os.getloadavg()[0]}


def judge(witnesses, cpus=None):
    """Mark each witness {disturbed: bool, why: [reasons]} in place against
    the run's smallest round trip; return that minimum (ns) or None."""
    cpus = cpus or os.cpu_count()
    rtts = [w["cacheline_rtt_ns"]["median"] for w in witnesses if w.get("cacheline_rtt_ns")]
    floor = min(rtts) if rtts else None
    for w in witnesses:
        why = []
        r = w.get("cacheline_rtt_ns")
        if r and floor and r["median"] > RTT_FACTOR * floor:
            why.append(f"round trip {r['median']:.0f} ns > {RTT_FACTOR:g}x the run's "
                       f"minimum {floor:.0f} ns")
        if w.get("loadavg") is not None and w["loadavg"] > cpus:
            why.append(f"load average {w['loadavg']:.1f} > {cpus} CPUs")
        w["disturbed"] = bool(why)
        w["why"] = why
    return floor


def nearest(witnesses, t):
    """Index of the witness taken nearest to Unix time t (None if none)."""
    if not witnesses:
        return None
    return min(range(len(witnesses)), key=lambda i: abs(witnesses[i]["t"] - t))


def main():
    """bench_machine.py witness WORKDIR JSONL LABEL: append witness() (the
    round-trip program built in WORKDIR) as one JSON line to JSONL and print
    it in words."""
    if len(sys.argv) != 5 or sys.argv[1] != "witness":
        sys.exit("usage: bench_machine.py witness WORKDIR JSONL LABEL")
    w = witness(sys.argv[2], sys.argv[4])
    with open(sys.argv[3], "a") as f:
        f.write(json.dumps(w) + "\n")
    r = w["cacheline_rtt_ns"]
    rtt = "not measured" if r is None else f"{r['median']:.0f} ns [{r['min']:.0f} - {r['max']:.0f}]"
    print(f"  witness {w['label']}: cache-line round trip {rtt}, load average {w['loadavg']:.2f}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
