#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The generator suites' settings (scripts/lib/bench_suites.py), without a trial.

A setting that is no number, or out of its range (docs/benchmarks.md: at
least one trial, seconds above 0, a loss ratio from 0 to 1, ...), stops
`bench_suites.py SUITE OUTDIR` at once with a message naming the variable,
before any trial runs (no run/ folder); good values are taken as given.
No root needed: the build directory given holds nothing, so a suite that
got as far as a trial would say a program is not built instead.

    suite_settings.py
"""

import os
import subprocess
import sys
import tempfile

TREE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIB = os.path.join(TREE, "scripts", "lib")
sys.path[:0] = [LIB, os.path.dirname(os.path.abspath(__file__))]

from smoke import check, failures  # noqa: E402

# (suite, variable, bad value) — each must be refused by name
BAD = [
    ("rate", "NETVM_BENCH_TRIALS", "0"),
    ("rate", "NETVM_BENCH_TRIALS", "two"),
    ("rate", "NETVM_BENCH_TRIALS", "1.5"),
    ("size", "NETVM_BENCH_SECONDS", "0"),
    ("size", "NETVM_BENCH_SECONDS", "-1"),
    ("size", "NETVM_BENCH_SECONDS", "nan"),
    ("latency", "NETVM_BENCH_POINTS", "-2"),
    ("cycles", "NETVM_BENCH_PKTGEN_CPU", "-1"),
    ("cycles", "NETVM_BENCH_NF_SLEEP_US", "-5"),
    ("rate", "NETVM_BENCH_SEARCH_STEPS", "0"),
    ("rate", "NETVM_BENCH_LOSS_TOL", "1.5"),
    ("rate", "NETVM_BENCH_LOSS_TOL", "-0.1"),
    ("chain", "NETVM_BENCH_CHAIN_MAX", "0"),
]


def run_suite(suite, env, out):
    full = dict(os.environ, **env, NETVM_BUILD=os.path.join(out, "nobuild"))
    return subprocess.run([sys.executable, os.path.join(LIB, "bench_suites.py"), suite,
                           out], env=full, capture_output=True, text=True, timeout=60,
                          cwd=LIB)


def check_bad():
    for suite, var, value in BAD:
        with tempfile.TemporaryDirectory() as out:
            r = run_suite(suite, {var: value}, out)
            check(r.returncode != 0 and var in r.stderr and "not built" not in r.stderr,
                  f"{suite}: {var}={value} refused by name ({r.returncode}, "
                  f"{r.stderr.strip()[-200:]!r})")
            check(not os.path.exists(os.path.join(out, "run")),
                  f"{suite}: {var}={value}: no trial ran")


def check_other_scripts():
    """bench.sh dos and provision read NETVM_BENCH_TRIALS themselves: the same refusal,
    before a core, a VM or a trial is started."""
    for script in ("bench_dos.py", "provision_bench.py"):
        for value in ("two", "0"):
            with tempfile.TemporaryDirectory() as out:
                full = dict(os.environ, NETVM_BENCH_TRIALS=value, NETVM_BENCH_DIR=out,
                            NETVM_BUILD=os.path.join(out, "nobuild"))
                r = subprocess.run([sys.executable, os.path.join(LIB, script), out], env=full,
                                   capture_output=True, text=True, timeout=60, cwd=LIB)
                check(r.returncode != 0 and "NETVM_BENCH_TRIALS" in r.stderr and
                      "Traceback" not in r.stderr and os.listdir(out) == [],
                      f"{script}: NETVM_BENCH_TRIALS={value} refused by name, nothing run "
                      f"({r.returncode}, {r.stderr.strip()[-200:]!r}, {os.listdir(out)})")


def check_good():
    import bench_suites
    good = {"NETVM_BENCH_TRIALS": ("1", int, {"least": 1}, 1),
            "NETVM_BENCH_SECONDS": ("0.5", float, {"above": 0}, 0.5),
            "NETVM_BENCH_LOSS_TOL": ("1", float, {"least": 0, "most": 1}, 1.0),
            "NETVM_BENCH_POINTS": ("0", int, {"least": 0}, 0)}
    saved = dict(os.environ)
    try:
        for var, (value, kind, bounds, want) in good.items():
            os.environ[var] = value
            got = bench_suites.env_num(var, "7", kind, **bounds)
            check(got == want and type(got) is kind, f"{var}={value} taken as {got!r}")
        os.environ.pop("NETVM_BENCH_TRIALS")
        got = bench_suites.env_num("NETVM_BENCH_TRIALS", 3, int, least=1)
        check(got == 3, f"NETVM_BENCH_TRIALS unset: the default 3 ({got!r})")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main():
    check_bad()
    check_other_scripts()
    check_good()
    print(f"suite_settings: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
