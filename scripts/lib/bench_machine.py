# SPDX-License-Identifier: BSD-3-Clause
"""What machine a benchmark ran on: recorded with every result."""

import os
import platform
import subprocess


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
