#!/usr/bin/env python3
"""provision_bench: decision to first forwarded packet, for three ways of starting an NF.

Set-up: netvm-core with two net_af_packet ports on veth pairs to namespaces A
and B, every packet to role 1; netvm-manager with a VM "cold" (autostart off)
and one idle VM restored from a template (idle.template = true). Namespace A
pings B every 5 ms all along, so frames keep arriving at port 0; with no NF of
role 1 the core drops them. Each trial starts netvm-bridge as role 1 one way,
the clock starting at the decision, and ends when the core's port 1 transmit
counter (polled as fast as its telemetry answers) first grows: a frame went
through the NF and out.

  cold      netvmctl vm start cold: QEMU boots a VM whose /init runs the NF
            (the manager's VM path, docs/manager.md §3)
  restore   the idle VM's QEMU killed (-9): the manager restores a new one from the
            template; netvmctl nf start, retried until a VM is idle, provisions the NF
            (restore + provisioning)
  idle      netvmctl nf start into the idle VM (provisioning only)

Then the NF is stopped (vm stop / nf stop) before the next trial.

  scripts/lib/provision_bench.py [--build-dir build]    (root, hugepages, the guest image)
Environment: NETVM_BENCH_TRIALS (default 3), NETVM_BENCH_DIR (where provision.json
and provision.md go; default: print only).
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests", "vm"))
sys.path.insert(0, os.path.join(SRC, "tests", "manager"))

import idle_vm  # noqa: E402
from bench_trial import env_num  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.telemetry import nf_ids  # noqa: E402

CASES = ("cold", "restore", "idle")
STEP_TIMEOUT = 120  # seconds for any one step under TCG on a loaded machine
PING_INTERVAL = "0.005"


class BenchError(Exception):
    """A step failed; the message says which."""


def wait(pred, timeout, what, poll=0.05):
    """Poll @pred until it returns a true value; that value, or BenchError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(poll)
    raise BenchError(f"{what}: not within {timeout} s")


class Egress:
    """The core's port 1 transmit counter, polled as fast as telemetry answers."""

    def __init__(self, core):
        self.core = core
        self.query_ms = []

    def count(self):
        t = time.monotonic()
        v = self.core.stats().get("port1_tx")
        self.query_ms.append((time.monotonic() - t) * 1000)
        return v

    def first_after(self, base, t0, timeout=STEP_TIMEOUT):
        """ms from @t0 to the first poll that sees port1_tx above @base."""
        wait(lambda: (self.count() or 0) > base, timeout, "a frame forwarded to port 1",
             poll=0.0)
        return (time.monotonic() - t0) * 1000


def nf_gone(core):
    """No NF instance left in the core (the previous trial's NF stopped)."""
    st = core.stats()
    return bool(st) and not nf_ids(st)


def trial_cold(core, mgr, egress):
    base = egress.count()
    t0 = time.monotonic()
    rc, out = mgr.netvmctl("vm", "start", "cold")
    if rc != 0:
        raise BenchError(f"vm start cold: {out}")
    ms = egress.first_after(base, t0)
    mgr.netvmctl("vm", "stop", "cold")
    wait(lambda: nf_gone(core), STEP_TIMEOUT, "the cold VM's NF gone after vm stop")
    return ms


def nf_start_idle(mgr, retry_until=None):
    """nf start of the bridge; retried (no VM idle yet) until @retry_until. Its nf id."""
    while True:
        rc, out = idle_vm.nf_start(mgr, idle_vm.BRIDGE)
        if rc == 0 and isinstance(out, dict) and out.get("ok"):
            return out["nf_id"]
        # after the kill: no VM idle yet, or the dead one met (and replaced)
        if retry_until is None or time.monotonic() > retry_until or \
                ("no idle VM is ready" not in str(out) and "replaced" not in str(out)):
            raise BenchError(f"nf start: {out}")
        time.sleep(0.01)


def trial_idle(core, mgr, egress):
    wait(lambda: idle_vm.wait_idle(mgr, 0.5)[0], STEP_TIMEOUT, "idle0 idle")
    base = egress.count()
    t0 = time.monotonic()
    nf = nf_start_idle(mgr)
    ms = egress.first_after(base, t0)
    mgr.netvmctl("nf", "stop", str(nf))
    wait(lambda: nf_gone(core), STEP_TIMEOUT, "the NF gone after nf stop")
    return ms


def trial_restore(core, mgr, egress):
    ok, vm = idle_vm.wait_idle(mgr, STEP_TIMEOUT)
    if not ok:
        raise BenchError(f"idle0 not idle: {vm}")
    base = egress.count()
    t0 = time.monotonic()
    os.kill(vm["pid"], signal.SIGKILL)
    nf = nf_start_idle(mgr, retry_until=t0 + STEP_TIMEOUT)
    ms = egress.first_after(base, t0)
    mgr.netvmctl("nf", "stop", str(nf))
    wait(lambda: nf_gone(core), STEP_TIMEOUT, "the NF gone after nf stop")
    return ms


TRIALS = {"cold": trial_cold, "restore": trial_restore, "idle": trial_idle}


def summary(values):
    return {"ms": [round(v, 1) for v in values], "median": round(statistics.median(values), 1),
            "min": round(min(values), 1), "max": round(max(values), 1)}


def write_results(out_dir, res):
    with open(os.path.join(out_dir, "provision.json"), "w") as f:
        json.dump(res, f, indent=2)
    with open(os.path.join(out_dir, "provision.md"), "w") as f:
        f.write("| start | trials | median ms | min ms | max ms |\n|---|---|---|---|---|\n")
        for name in CASES:
            c = res["cases"][name]
            f.write(f"| {name} | {len(c['ms'])} | {c['median']} | {c['min']} | {c['max']} |\n")
        f.write(f"\n{res['note']}\n")


def main():
    trials = env_num("NETVM_BENCH_TRIALS", 3, int, least=1)
    env = nvenv.setup("provision_bench", 1800, __doc__)
    chk = check.Checker("provision_bench")
    cold = (f'  {{{{ name = "cold"; role = {idle_vm.ROLE}; queues = 1; vcpus = 1; '
            f'memory = 256;\n    kernel = "{{kernel}}"; initrd = "{{initrd}}"; '
            f'nf = "{idle_vm.BRIDGE}";\n    launcher = "qemu"; restart = "never"; '
            f'autostart = false; }}}}')
    a, b, core, mgr = idle_vm.start_idle(env, chk, "pv", template=True, vms=[cold])
    pinger = subprocess.Popen(a.exec_argv([nvenv.which("ping") or "ping", "-n", "-q", "-i",
                                           PING_INTERVAL, b.addr]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env.add_cleanup(pinger.kill)
    egress = Egress(core)
    res = {"suite": "provision", "trials": trials, "cases": {}}
    try:
        for name in CASES:
            values = []
            for i in range(trials):
                values.append(TRIALS[name](core, mgr, egress))
                print(f"provision: {name} trial {i + 1}: {values[-1]:.0f} ms", flush=True)
            res["cases"][name] = summary(values)
    except BenchError as exc:
        chk.ok(False, "every trial ends", f"{exc}" + mgr.tail())
        env.done(chk)
    tpl = idle_vm.idle_list(mgr)[1].get("template") or {}
    res["template"] = {"bytes": tpl.get("bytes"), "save_ms": tpl.get("save_ms")}
    res["poll_ms"] = round(statistics.median(egress.query_ms), 3)  # to the µs: a query may take < 0.1 ms
    res["note"] = (f"Decision to the first frame out of port 1 through netvm-bridge; frames "
                   f"offered every {PING_INTERVAL} s all along; the egress counter polled "
                   f"through telemetry every {res['poll_ms']} ms (median). The template: "
                   f"{(tpl.get('bytes') or 0) >> 10} KiB, saved in {tpl.get('save_ms')} ms.")
    print("provision: decision to first forwarded packet (ms): " + ", ".join(
        f"{n} median {res['cases'][n]['median']} [{res['cases'][n]['min']}.."
        f"{res['cases'][n]['max']}]" for n in CASES), flush=True)
    out_dir = os.environ.get("NETVM_BENCH_DIR")
    if out_dir:
        write_results(out_dir, res)
    mgr.stop(15, 30)
    pinger.kill()
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
