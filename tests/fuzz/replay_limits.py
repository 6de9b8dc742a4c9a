#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""replay.c's hang limit and arguments, on a stand-in target (replay_selftest.c).

A gcc build replays each fuzz corpus through replay.c (docs/fuzzing.md). An
input that runs longer than the hang limit (-timeout=SECONDS, 10 s by
default) must stop the replay with SIGABRT and a line naming the input, as
libFuzzer's -timeout does, instead of waiting for meson's limit; inputs
that return are counted; a bad -timeout is refused.

    replay_limits.py PATH_TO_fuzz_replay_selftest
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

FAILS = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILS.append(what)


def run(exe, args, limit):
    """(exit status or None if still running after @limit s, stderr, stdout, seconds)."""
    t0 = time.monotonic()
    p = subprocess.Popen([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        out, err = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, err, out, time.monotonic() - t0
    return p.returncode, err, out, time.monotonic() - t0


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        files = {}
        for name, data in (("ok1", b"fine"), ("ok2", b""), ("hang", b"hang now"),
                           ("crash", b"crash")):
            files[name] = os.path.join(d, name)
            with open(files[name], "wb") as f:
                f.write(data)

        rc, err, out, _ = run(exe, [files["ok1"], files["ok2"]], 30)
        check(rc == 0 and "replay: 2 inputs run" in out,
              f"two inputs that return: exit 0, both counted (rc {rc}, {out.strip()!r})")

        rc, err, _, secs = run(exe, ["-timeout=1", files["ok1"], files["hang"]], 30)
        check(rc == -signal.SIGABRT,
              f"a hanging input with -timeout=1 aborts the replay (rc {rc}, {secs:.1f} s)")
        check(files["hang"] + ": still running after the hang limit" in err,
              f"the hanging input is named ({err.strip()[-120:]!r})")

        rc, err, _, secs = run(exe, [files["hang"]], 40)
        check(rc == -signal.SIGABRT and 9 <= secs < 30,
              f"the default limit is 10 s (rc {rc}, {secs:.1f} s)")

        rc, err, _, _ = run(exe, ["-timeout=0", files["ok1"]], 30)
        check(rc == 0, f"-timeout=0 (no limit) replays the input (rc {rc})")

        rc, err, _, _ = run(exe, [files["crash"]], 30)
        check(rc == -signal.SIGABRT and "property broken" in err,
              f"a broken property still aborts (rc {rc})")

        for bad in ("-timeout=", "-timeout=x", "-timeout=-1", "-timeout=99999999999999999999",
                    "-timeout=86401", "-timeout=1s"):
            rc, err, _, _ = run(exe, [bad, files["ok1"]], 30)
            check(rc == 1 and bad in err and "seconds" in err,
                  f"{bad} is refused by name, exit 1 (rc {rc}, {err.strip()!r})")

    print(f"replay_limits: {len(FAILS)} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
