#!/usr/bin/env python3
"""netvm-click as an NF: Script TYPE SIGNAL beside netlib's own signals, and stop.

One Click NF (one queue) on a core:

  FromDevice(0) -> Discard;
  u :: Script(TYPE SIGNAL USR1, export n 0, set n $(add $n 1), end);
  t :: Script(TYPE SIGNAL TERM, export got 0, set got $(add $got 1), exit);

  - three SIGUSR1, 0.3 s apart: u runs once for each (`end` takes the signal
    again), so u.n is 3 at exit; the NF keeps running;
  - a first SIGTERM is t's: the NF keeps running (netlib's stop does not
    happen), t runs once and ends with `exit`, which gives SIGTERM back to
    the action it had before, netlib's stop;
  - a second SIGTERM stops the NF, exit status 0, and the handlers printed
    at exit say u.n = 3, t.got = 1.

A second NF with only the USR1 script shows that a signal no script names
keeps netlib's action: SIGINT stops it at once, exit status 0.

A third NF, two queues (a router each), `Script(wait 0.3s, stop)` and
`-h s.run`: the run ends in each router and, as Click's driver ends the
process, the NF stops by itself (netlib's nl_stop()), exit status 0, saying
why, with no signal sent. Reading `run` runs a script: the counters netlib
publishes every 200 ms while the NF runs leave it out (they used to read it,
from netlib's main thread, and so restarted the script before its wait was
over: it never stopped).

A fourth NF, `c :: Counter` on a port that receives nothing and
`Script(TYPE PASSIVE, return 7)` with `-h c.count -h p.run`: `netvmctl nf cmd
ID stats` while it runs gives c.count (each queue's thread prints its own
router's handlers) and not p.run; SIGINT's last print gives both.
Every expected value is written by hand from Click's Script semantics
(docs/click.md, "Scripts").
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, ctl  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Nf, parse_click_handlers  # noqa: E402

CLICK_BIN = "apps/click/netvm-click"
CONFIG = """# written by click_signal
core = {
  pool_buffers = 4096;
  ring_size = 1024;
};
default = { role = 1; };
"""
USR1 = "u :: Script(TYPE SIGNAL USR1, export n 0, set n $(add $n 1), end);\n"
TERM = "t :: Script(TYPE SIGNAL TERM, export got 0, set got $(add $got 1), exit);\n"


def running_after(nf, seconds):
    """True when @nf has not exited @seconds from now."""
    return nf.wait(seconds) is None


def start(env, chk, core, name, text, handlers, queues=None):
    conf = env.path(f"{name}.click")
    with open(conf, "w") as f:
        f.write("FromDevice(0) -> Discard;\n" + text)
    args = ["-f", conf]
    for h in handlers:
        args += ["-h", h]
    nf = Nf(env, core, CLICK_BIN, 1, args, queues=queues, name=name)
    err = nf.start_attached()
    if not chk.ok(err is None, f"{name}: netvm-click attaches (role 1)", err or ""):
        nf.kill()
        core.stop()
        env.done(chk)
    return nf


def live_handlers(env, core, nf):
    """The handlers `netvmctl nf cmd ID stats` gives while @nf runs ({} if it fails)."""
    rc, out, _ = ctl.netvmctl(env, ["-c", core.sock, "nf", "cmd", str(nf.id), "stats"])
    return parse_click_handlers(out) if rc == 0 else {}


def wait_handler(env, core, nf, name, want, timeout=10.0):
    """Whether handler @name reads @want while @nf runs, within @timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if live_handlers(env, core, nf).get(name) == want:
            return True
        time.sleep(0.05)
    return False


def case_scripts(env, chk, core):
    chk.section("scripts: USR1 three times, a first TERM taken by the script, a second stops")
    nf = start(env, chk, core, "both", USR1 + TERM, ["u.n", "t.got"])
    # the scripts take their signals once the queue's router is built
    chk.ok(wait_handler(env, core, nf, "u.n", 0), "the router is built (u.n = 0)",
           str(live_handlers(env, core, nf)))
    # each signal once the script has run for the one before (two that came
    # together would run it once, as Click's)
    for i in range(1, 4):
        nf.send_signal(signal.SIGUSR1)
        chk.ok(wait_handler(env, core, nf, "u.n", i), f"SIGUSR1 {i}: the script ran (u.n = {i})",
               str(live_handlers(env, core, nf)))
    chk.ok(running_after(nf, 0.2), "three SIGUSR1: the NF runs on", nf.tail())
    nf.send_signal(signal.SIGTERM)
    chk.ok(wait_handler(env, core, nf, "t.got", 1),
           "the first SIGTERM is the script's (t.got = 1)", nf.tail())
    chk.ok(running_after(nf, 0.2), "the NF runs on", nf.tail())
    rc = nf.stop(signal.SIGTERM, timeout=15)
    chk.eq(rc, 0, "the second SIGTERM (the script ended with exit) stops the NF, status 0")
    h = parse_click_handlers(nf.stdout())
    chk.eq(h.get("u.n"), 3, "the USR1 script ran once per signal (u.n at exit)")
    chk.eq(h.get("t.got"), 1, "the TERM script ran once (t.got at exit)")


def case_unclaimed(env, chk, core):
    chk.section("unclaimed: SIGINT, named by no script, stops the NF as netlib does")
    nf = start(env, chk, core, "usr1", USR1, ["u.n", "u.config"])
    chk.ok(wait_handler(env, core, nf, "u.n", 0), "the router is built (u.n = 0)",
           str(live_handlers(env, core, nf)))
    nf.send_signal(signal.SIGUSR1)
    chk.ok(running_after(nf, 0.5), "SIGUSR1: the NF runs on", nf.tail())
    t0 = time.monotonic()
    rc = nf.stop(signal.SIGINT, timeout=15)
    chk.eq(rc, 0, "SIGINT stops the NF, status 0")
    chk.ok(time.monotonic() - t0 < 10, "within 10 s", f"{time.monotonic() - t0:.1f} s")
    chk.eq(parse_click_handlers(nf.stdout()).get("u.n"), 1, "the USR1 script ran once (u.n)")


def case_stop(env, chk, core):
    chk.section("stop: a Script's stop in every queue's router ends the NF")
    nf = start(env, chk, core, "stop", "s :: Script(wait 0.3s, stop);\n", ["s.run"], queues=2)
    rc = nf.wait(20)
    chk.eq(rc, 0, "the NF exits by itself, status 0")
    chk.ok("the router's run ended (stop): the NF stops" in nf.stderr(), "it says why",
           nf.tail())
    if rc is None:
        nf.kill()


def case_live(env, chk, core):
    chk.section("live: stats while the NF runs reads handlers without side effects")
    nf = start(env, chk, core, "live", "c :: Counter -> Discard; p :: Script(TYPE PASSIVE, "
               "return 7);\nFromDevice(1) -> c;\n", ["c.count", "p.run"])
    time.sleep(0.5)
    rc, out, err = ctl.netvmctl(env, ["-c", core.sock, "nf", "cmd", str(nf.id), "stats"])
    chk.ok(rc == 0, "netvmctl nf cmd ID stats", err)
    chk.ok("c.count:\n0\n" in out, "it gives c.count, 0", out)
    chk.ok("p.run" not in out, "it leaves p.run out (reading it runs the script)", out)
    rc = nf.stop(signal.SIGINT, timeout=15)
    chk.eq(rc, 0, "SIGINT stops the NF, status 0")
    h = parse_click_handlers(nf.stdout())
    chk.ok(h.get("c.count") == 0 and h.get("p.run") == 7,
           "the last print gives c.count 0 and p.run 7 (the script run once)", str(h))


def main():
    env = nvenv.setup("click_signal", timeout=120, description=__doc__)
    chk = check.Checker("click_signal")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, CLICK_BIN])
    core = Core(env, "cksig", CONFIG, ["net_null0,no-rx=1", "net_null1,no-rx=1"], wait_nfs=1)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    case_scripts(env, chk, core)
    case_unclaimed(env, chk, core)
    case_stop(env, chk, core)
    case_live(env, chk, core)
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
