#!/usr/bin/env python3
"""demo_netns: scripts/demo.sh --netns works, for the l3fwd and the firewall chain.

Runs `scripts/demo.sh --netns --nf l3fwd` and `--nf firewall` as a user
would (set-up skipped: the tree is built), with a 2-second iperf3 run. Each
must exit 0, print a ping with no loss, the sha256 of the file curl
fetched equal to the one served ("sha256: match"), an iperf3 result and
the core's counters, and leave no namespace or veth behind; and print
no report of a process killed by a signal ("Killed", "Terminated": bash's
notice of a background server the clean-up killed, which reads as an
error).
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402


def main():
    env = nvenv.setup("demo_netns", timeout=280, description=__doc__)
    chk = check.Checker("demo_netns")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.L3FWD_BIN])
    for prog in ("ip", "ethtool", "ping", "iperf3", "curl"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found (scripts/setup.sh)")
    demo = os.path.join(env.source_dir, "scripts", "demo.sh")
    run_env = dict(os.environ, NETVM_SKIP_SETUP="1", NETVM_DEMO_IPERF_SECONDS="2",
                   NETVM_BUILD=os.path.abspath(env.build_dir))
    for nf in ("l3fwd", "firewall"):
        chk.section(f"scripts/demo.sh --netns --nf {nf}")
        try:
            r = subprocess.run([demo, "--netns", "--nf", nf], capture_output=True, text=True,
                               timeout=120, env=run_env)
            out, rc = r.stdout + r.stderr, r.returncode
        except subprocess.TimeoutExpired as exc:
            out, rc = f"{exc.stdout or ''}{exc.stderr or ''}", "timeout"
        tail = "\n    " + "\n    ".join(str(out).splitlines()[-25:])
        chk.eq(rc, 0, f"--nf {nf}: exit status 0")
        chk.ok(" 0% packet loss" in out, f"--nf {nf}: ping with no loss", tail)
        if nf == "l3fwd":
            chk.ok("== ping -6 " in out and out.count(" 0% packet loss") == 2,
                   f"--nf {nf}: ping -6 with no loss too", tail)
        sent = re.search(r"^sha256 sent +([0-9a-f]{64})$", out, re.M)
        got = re.search(r"^sha256 received +([0-9a-f]{64})$", out, re.M)
        chk.ok(sent and got and sent.group(1) == got.group(1) and "sha256: match" in out,
               f"--nf {nf}: the downloaded file's sha256 matches", tail)
        chk.ok("receiver" in out, f"--nf {nf}: iperf3 reports a result", tail)
        chk.ok(re.search(r"^ +port1_tx [1-9]", out, re.M) is not None,
               f"--nf {nf}: the core's counters are printed", tail)
        killed = [line for line in out.splitlines()
                  if re.search(r"\b(Killed|Terminated)\b", line)]
        chk.eq(killed, [], f"--nf {nf}: no process reported killed")
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        chk.ok("netvm-demo-" not in left, f"--nf {nf}: its namespaces are removed", left)
        chk.ok(not os.path.exists("/sys/class/net/nvdemo-a"),
               f"--nf {nf}: its veth pairs are removed")
    env.done(chk)


if __name__ == "__main__":
    main()
