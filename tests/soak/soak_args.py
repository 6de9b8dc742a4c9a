#!/usr/bin/env python3
"""soak_args: scripts/soak.sh and tests/soak/soak.py refuse a soak of no length.

`--rounds 0`, `--seconds 0`, a value that is no number, and --rounds with
--seconds must end them at once with status 2 and a message naming the
option, before any set-up (soak.sh runs scripts/setup.sh first) or traffic.
"""

import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402

TREE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SOAK_SH = os.path.join(TREE, "scripts", "soak.sh")
SOAK_PY = os.path.join(TREE, "tests", "soak", "soak.py")

# (arguments, what the message must name)
REFUSED = [
    (["--rounds", "0"], "--rounds"),
    (["--seconds", "0"], "--seconds"),
    (["--seconds", "000"], "--seconds"),
    (["--rounds", "x"], "--rounds"),
    (["--rounds", "2", "--seconds", "5"], "--seconds"),
    (["--seconds", "5", "--vm", "--rounds", "2"], "--rounds"),
]


def main():
    chk = check.Checker("soak_args")
    for name, cmd in (("soak.sh", [SOAK_SH]), ("soak.py", [sys.executable, SOAK_PY])):
        for args, option in REFUSED:
            what = f"{name} {' '.join(args)}"
            proc = subprocess.Popen(cmd + args, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                _, err = proc.communicate(timeout=30)
                rc = proc.returncode
            except subprocess.TimeoutExpired:
                # a soak that started: SIGTERM makes it clean up what it made
                os.killpg(proc.pid, signal.SIGTERM)
                proc.communicate(timeout=120)
                rc, err = None, "(still running after 30 s: a soak started)"
            chk.ok(rc == 2 and option in err and "error" in err,
                   f"{what}: refused at once, status 2, naming {option}",
                   f"status {rc}, stderr {err[-300:]!r}")
    chk.finish()


if __name__ == "__main__":
    main()
