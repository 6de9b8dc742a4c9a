#!/usr/bin/env python3
"""completion: netvmctl's bash completion completes its commands, options and VM names.

Sources packaging/bash-completion/netvmctl in bash, sets COMP_WORDS and
COMP_CWORD as bash does for a command line, calls the completion function
and compares COMPREPLY. VM names come from a stand-in netvmctl that answers
`--json vm list` as the manager does; the real netvmctl's --help must name
every subcommand the completion offers. Needs bash; no root.
"""

import os
import shlex
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

FAKE = """#!/bin/sh
# answers like `netvmctl [-s SOCK] --json vm list`; records its arguments
echo "$@" >> "$(dirname "$0")/args"
case "$*" in
*"--json vm list"*) echo '[ { "name": "l3fwd", "state": "running" }, { "name": "fw1", "state": "stopped" } ]' ;;
*"--json nf list"*) echo '{ "ok": true, "nfs": [ { "id": 3, "vm": "l3fwd", "role": 1 }, { "id": 12, "vm": null, "role": 2 } ] }' ;;
*) exit 1 ;;
esac
"""

# (command line, the cursor at its end; expected COMPREPLY, as a set)
CASES = [
    ("netvmctl ", {"vm", "nf", "idle", "stats", "metrics", "rule", "default", "chain", "role",
                   "core", "instance", "dos", "scale"}),
    ("netvmctl v", {"vm"}),
    ("netvmctl vm ", {"list", "start", "stop", "migrate", "cmd"}),
    ("netvmctl nf ", {"list", "counters", "start", "stop", "move", "cmd"}),
    ("netvmctl nf stop ", {"3", "12"}),
    ("netvmctl instance ", {"drain", "handover", "undrain"}),
    ("netvmctl instance drain 1", {"12"}),
    ("netvmctl dos ", {"list", "set", "clear"}),
    ("netvmctl dos set s", {"src_pps", "syn_pps"}),
    ("netvmctl idle ", {"list"}),
    ("netvmctl scale ", {"list"}),
    ("netvmctl vm migrate f", {"fw1"}),
    ("netvmctl vm migrate l3fwd --t", {"--to", "--timeout"}),
    ("netvmctl vm migrate l3fwd --to ", {"tcp:", "unix:"}),
    ("netvmctl nf start --r", {"--role"}),
    ("netvmctl nf counters ", {"3", "12"}),
    ("netvmctl nf counters 1", {"12"}),
    ("netvmctl rule ", {"list", "add", "del"}),
    ("netvmctl chain ", {"list", "set", "del"}),
    ("netvmctl role ", {"list", "name"}),
    ("netvmctl default ", {"set"}),
    ("netvmctl core ", {"help", "reload"}),
    ("netvmctl vm start ", {"l3fwd", "fw1"}),
    ("netvmctl -s /tmp/mgr.sock vm stop f", {"fw1"}),
    ("netvmctl --json vm cmd l", {"l3fwd"}),
    ("netvmctl vm start l3fwd ", set()),
    ("netvmctl --js", {"--json"}),
    ("netvmctl -t 5 --co", {"--core"}),
    ("netvmctl stats ", set()),
]


def complete(env, script, fake, line):
    """COMPREPLY for @line (cursor at its end), as a set; None when bash failed."""
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    words[0] = fake
    prog = (f"source {shlex.quote(script)}\n"
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
            f"COMP_CWORD={len(words) - 1}\n"
            "_netvmctl\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True,
                       timeout=20)
    if r.returncode != 0 or r.stderr.strip():
        return None, r.stderr
    return {w for w in r.stdout.splitlines() if w}, ""


def main():
    env = nvenv.setup("completion", timeout=100, description=__doc__)
    chk = check.Checker("completion")
    if nvenv.which("bash") is None:
        chk.fatal("bash installed")
    script = os.path.join(env.source_dir, "packaging", "bash-completion", "netvmctl")
    fake = env.path("netvmctl")
    with open(fake, "w") as f:
        f.write(FAKE)
    os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)

    chk.section("completions")
    for line, want in CASES:
        got, err = complete(env, script, fake, line)
        chk.eq(got, want, f"'{line}'" + (f" ({err.strip()})" if err else ""))
    with open(env.path("args")) as f:
        asked = f.read()
    chk.ok("-s /tmp/mgr.sock --json vm list" in asked,
           "VM names are asked of the manager named by -s", asked)

    chk.section("the real netvmctl")
    ctl = env.binary("manager/netvmctl")
    if ctl is None:
        chk.ok(True, "netvmctl not built: skipped")
    else:
        usage = subprocess.run([ctl, "--help"], capture_output=True, text=True).stdout
        for cmd in ("vm list", "vm start", "vm stop", "vm migrate", "--to", "vm cmd", "nf list",
                    "nf counters", "nf start", "nf stop", "nf move", "--state", "--role",
                    "--queues", "nf cmd", "idle list", "stats", "metrics", "instance drain",
                    "handover", "undrain", "dos list", "dos set", "src_pps", "syn_pps",
                    "dos clear", "scale list",
                    "rule list", "rule add", "rule del", "default set", "chain list",
                    "chain set", "chain del", "role list", "role name", "core reload"):
            chk.ok(cmd in usage, f"netvmctl --help names '{cmd}'")
        got, err = complete(env, script, ctl, "netvmctl -s /nonexistent vm start ")
        chk.eq(got, set(), "no manager: no VM names, and nothing on the terminal" +
               (f" ({err.strip()})" if err else ""))
    env.done(chk)


if __name__ == "__main__":
    main()
