#!/usr/bin/env python3
"""completion: netvmctl's bash completion completes its commands, options and VM names.

Sources packaging/bash-completion/netvmctl in bash, sets COMP_WORDS and
COMP_CWORD as bash does for a command line, calls the completion function
and compares COMPREPLY. VM names come from a stand-in netvmctl that answers
`--json vm list` as the manager does; the real netvmctl's --help must name
every subcommand the completion offers, and the completion must offer
exactly the commands and options its --help lists. netvmctl takes its
options before the command only (after it, or after --, a word is the
command's): the completion offers them there, and a command's own options
(vm migrate's --to, nf move's --state, nf start's --role and --queues
before its --) only where that command takes them. A value given as
--socket=PATH comes as three words ("--socket" "=" "PATH"), as bash splits
it. Needs bash; no root.
"""

import re

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
    ("netvmctl vm migrate l3fwd --t", {"--to"}),
    ("netvmctl vm migrate --t", set()),
    ("netvmctl vm list -", set()),
    ("netvmctl stats --j", set()),
    ("netvmctl vm start l3fwd --", set()),
    ("netvmctl -- -", set()),
    ("netvmctl -j -", {"-s", "--socket", "-c", "--core", "-f", "--file", "-t", "--timeout",
                       "-j", "--json", "-h", "--help"}),
    ("netvmctl --socket = /tmp/mgr.sock vm stop f", {"fw1"}),
    ("netvmctl -t = 5 vm ", {"list", "start", "stop", "migrate", "cmd"}),
    ("netvmctl --timeout ", set()),
    ("netvmctl nf move 3 --s", {"--state"}),
    ("netvmctl nf move --s", set()),
    ("netvmctl nf start --role 1 --", {"--queues", "--"}),
    ("netvmctl nf start --role 1 -- netvm-bridge -", set()),
    ("netvmctl nf cmd 3 -", set()),
    ("netvmctl vm migrate l3fwd --to ", {"tcp:", "unix:"}),
    ("netvmctl nf start --r", {"--role"}),
    ("netvmctl nf counters ", {"3", "12"}),
    ("netvmctl nf counters 1", {"12"}),
    ("netvmctl nf cmd ", {"3", "12"}),
    ("netvmctl nf cmd 3 ", {"help", "stats"}),
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
    # short options bundled as getopt takes them: a value-taking letter
    # takes the rest of its word, or the next word
    ("netvmctl -js /tmp/mgr.sock vm stop f", {"fw1"}),
    ("netvmctl -jt 5 vm ", {"list", "start", "stop", "migrate", "cmd"}),
    ("netvmctl -js/tmp/mgr.sock vm stop f", {"fw1"}),
    ("netvmctl -jt ", set()),
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
    chk.ok(" = " not in asked and "-s = " not in asked,
           "... and by --socket=PATH (not of a socket named '=')", asked)

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
        opts_text = usage[usage.index("\noptions:"):]
        head_text = usage[:usage.index("\noptions:")]
        words = {m.group(1) for m in re.finditer(r"^  ([a-z]+)\b", head_text, re.M)}
        got, _ = complete(env, script, fake, "netvmctl ")
        chk.eq(got, words, "the completion offers exactly the commands --help lists")
        opts = set()
        for m in re.finditer(r"^  (-[a-z]), (--[a-z]+)", opts_text, re.M):
            opts |= {m.group(1), m.group(2)}
        got, _ = complete(env, script, fake, "netvmctl -")
        chk.eq(got, opts, "... and exactly the options --help lists, before the command")
        r = subprocess.run([ctl, "-s", env.path("none.sock"), "vm", "migrate", "l3fwd",
                            "--timeout", "5"], capture_output=True, text=True, timeout=30)
        chk.ok(r.returncode == 2 and "usage:" in r.stderr,
               "netvmctl takes no option after the command (a usage error)",
               f"exit {r.returncode} {r.stderr[:200]}")
        got, err = complete(env, script, ctl, "netvmctl -s /nonexistent vm start ")
        chk.eq(got, set(), "no manager: no VM names, and nothing on the terminal" +
               (f" ({err.strip()})" if err else ""))
    env.done(chk)


if __name__ == "__main__":
    main()
