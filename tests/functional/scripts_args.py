#!/usr/bin/env python3
"""scripts_args: scripts/test.sh and scripts/demo.sh refuse bad arguments before any set-up.

Each script runs from a copy of itself in a scratch tree whose
scripts/setup.sh is a stand-in that leaves a mark and fails: a refusal
must come with exit status 2 and a message naming the value, before the
set-up (no mark). scripts/test.sh: --repeat 0, --load=x, and --load=CPU of
a CPU this process may not run on (the spinner would die at once and the
suites run unloaded, said to be loaded), NETVM_FUZZ_SECONDS=abc (fuzz.sh
would take it for a target's name, after the set-up), a suite name
misspelt (meson would run it as nothing, and pass). scripts/demo.sh: an unknown
option, --nf without --netns, and values of its environment that would
end it half-way, its core already running: NETVM_DEMO_SECONDS=abc or -1,
NETVM_DEMO_IPERF_SECONDS=0, NETVM_DEMO_VM=yes. No root, no core.
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

# scripts/setup.sh in the scratch trees: it marks that a script reached its
# set-up and ends there, so a refusal that comes too late is seen (and no
# package is installed)
SETUP_STANDIN = """#!/bin/sh
echo ran > "$(dirname "$0")/../setup-ran"
echo "setup stand-in: the script went on to its set-up" >&2
exit 3
"""


def scratch_tree(env, name, scripts):
    """A tree @name holding copies of @scripts and the stand-in setup.sh."""
    tree = env.path(name)
    os.makedirs(os.path.join(tree, "scripts"))
    for script in scripts:
        shutil.copy(os.path.join(env.source_dir, "scripts", script),
                    os.path.join(tree, "scripts", script))
    setup = os.path.join(tree, "scripts", "setup.sh")
    with open(setup, "w") as f:
        f.write(SETUP_STANDIN)
    os.chmod(setup, 0o755)
    return tree


def refused(chk, tree, script, args, says, env_extra=None):
    """Run @script of @tree with @args: exit 2, @says on stderr, no set-up."""
    mark = os.path.join(tree, "setup-ran")
    if os.path.exists(mark):
        os.unlink(mark)
    r = subprocess.run(["bash", os.path.join(tree, "scripts", script)] + args,
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, **(env_extra or {})))
    label = " ".join([f"{k}={v}" for k, v in (env_extra or {}).items()] + [script] + args)
    chk.ok(r.returncode == 2 and says in r.stderr and not os.path.exists(mark),
           f"{label}: refused, exit 2, before the set-up",
           f"rc={r.returncode} set-up ran={os.path.exists(mark)} {r.stderr[-300:]!r}")


def main():
    env = nvenv.setup("scripts_args", timeout=90, description=__doc__)
    chk = check.Checker("scripts_args")

    chk.section("scripts/test.sh")
    tree = scratch_tree(env, "t", ["test.sh"])
    refused(chk, tree, "test.sh", ["--repeat", "0", "unit"], "--repeat takes a count")
    refused(chk, tree, "test.sh", ["--load=x", "unit"], "takes a CPU number")
    missing = (os.cpu_count() or 1) + 4096
    refused(chk, tree, "test.sh", [f"--load={missing}", "unit"],
            f"CPU {missing} is not one this process may run on")
    refused(chk, tree, "test.sh", ["fuzz"], "NETVM_FUZZ_SECONDS=abc: whole seconds",
            {"NETVM_FUZZ_SECONDS": "abc"})
    refused(chk, tree, "test.sh", ["unit", "functionl"], "unknown suite 'functionl'")

    chk.section("scripts/demo.sh")
    tree = scratch_tree(env, "d", ["demo.sh"])
    refused(chk, tree, "demo.sh", ["--bogus"], "usage: scripts/demo.sh")
    refused(chk, tree, "demo.sh", ["--nf", "bridge"], "--nf goes with --netns")
    for var, value, says in (("NETVM_DEMO_SECONDS", "abc", "a number of seconds"),
                             ("NETVM_DEMO_SECONDS", "-1", "a number of seconds"),
                             ("NETVM_DEMO_IPERF_SECONDS", "0", "whole seconds"),
                             ("NETVM_DEMO_VM", "yes", "0 or 1")):
        refused(chk, tree, "demo.sh", ["--netns"] if "IPERF" in var else [],
                f"{var}={value}: {says}", {var: value})
    env.done(chk)


if __name__ == "__main__":
    main()
