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
