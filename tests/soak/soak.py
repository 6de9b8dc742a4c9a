#!/usr/bin/env python3
"""soak: rounds of killed NFs, attach/detach loops and forged descriptors under traffic.

Port 0 is a veth end (net_af_packet) that this script feeds with UDP frames
from the peer end, so traffic starts and stops when the script says; port 1
is a net_null sink. dst 10.1/16 goes to role 1 (a bridge), 10.2/16 to
role 2 (nf_dup of tests/functional: it copies every packet into a buffer it
allocates), both forwarding to port 1; 10.3/16 to role 3 (raw NFs of
tests/lib/nvtest/rawnf.py). Each round, under traffic:

  kill      kill -9 the NF of role 1 (then, next round, of role 2): it is
            detached, a new one attaches and forwards
  churn     raw NFs attach, run, take packets and close holding them, again
            and again
  forge     a raw NF returns descriptors it has no right to return: buffer
            indexes past the pool, buffers it does not hold, offsets past the
            buffer, unknown actions; each drop_<reason> counter moves by
            exactly the number forged
  quiesce   traffic stops, the NFs go (one by SIGINT, one by kill -9),
            and the pool must be whole again: pool0_free back to its figure
            with no NF and no traffic, measured before the first round

With --vm, netvm-manager (launcher qemu, the accelerator scripts/build-guest.sh
found for this machine, restart = "on-failure" with a short backoff) also runs
one VM, "soakvm", whose guest NF (/bin/netvm-bridge --transport uio -r 4)
gets dst 10.4/16, forwarding to port 1. Each round then also:

  vm        kill -9 the VM's QEMU under traffic; the core must detach its
            instance, the manager start a new QEMU, and the new guest NF
            attach, be live and receive before the round quiesces
  quiesce   the VM stays up: the pool is whole when pool0_free plus what the
            VM's instance holds (nf<I>_held) is the idle figure, and the
            killed instance is gone; after the last round `netvmctl vm stop`
            stops the VM and pool0_free must be the idle figure itself

--vm needs the guest image: it fails, saying to run scripts/build-guest.sh,
when the image is missing.

The core must stay alive throughout. Prints one line per round and a
summary "N rounds, M buffers lost (must be 0)"; exits 1 on any loss,
crash or failed check.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import guest as nvguest  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Nf, run  # noqa: E402
from nvtest.rawnf import ACT_DROP, ACT_OUT, NF_RUNNING, Desc, RawNf  # noqa: E402

NETS = {1: "10.1.0.0/16", 2: "10.2.0.0/16", 3: "10.3.0.0/16"}
RAW_ROLE = 3
NF_DUP_BIN = "tests/functional/nf_dup"
# net_af_packet's frames need 2016 bytes of mbuf data room (tests/netns).
CONFIG = """core = {
  pool_buffers = 2048;
  buffer_size = 4096;
  ring_size = 256;
};
rules = (
  { dst = "10.1.0.0/16"; role = 1; },
  { dst = "10.2.0.0/16"; role = 2; },
  { dst = "10.3.0.0/16"; role = 3; }%s
);
default = { action = "drop"; };
"""
CHURN = 4          # raw NFs attached and abandoned per round
FORGE_HOLD = 16    # packets the forging raw NF takes
SETTLE_S = 10      # a deadline, not a pace: checks return as soon as they hold
ROUND_MAX_S = 90   # the watchdog's budget per round

# --vm: one VM run by netvm-manager, its guest bridge serving VM_ROLE
VM_ROLE = 4
VM_NET = "10.4.0.0/16"
VM_NAME = "soakvm"
VM_NF = f"/bin/netvm-bridge --transport uio -r {VM_ROLE}"
VM_BOOT_S = 180    # deadline from QEMU's start to the guest NF receiving (TCG, a loaded host)
# restart soon after a kill; a high limit, as the next round may kill the VM
# before stable_after_s has reset its count of restarts in a row
VM_MANAGER_EXTRA = ("restart_backoff_ms = 200; restart_backoff_max_ms = 1000; "
                    "restart_limit = 1000; stable_after_s = 1;")


class Sender(threading.Thread):
    """Sends prebuilt frames out of one interface until stopped; nets can be paused."""

    def __init__(self, ifname, frames_by_role):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((ifname, 0))
        self.frames = frames_by_role
        self.roles = set(frames_by_role)
        self.sent = 0
        self.running = threading.Event()
        self.quit = False

    def run(self):
        while not self.quit:
            if not self.running.wait(0.1):
                continue
            for role in sorted(self.roles):
                for f in self.frames[role]:
                    try:
                        self.sock.send(f)
                        self.sent += 1
                    except OSError:
                        pass  # a full socket buffer: drop, as a wire would
            time.sleep(0.002)

    def stop(self):
        self.quit = True
        self.running.set()
        self.join(5)
        self.sock.close()


def make_veth(env):
    """A veth pair (core end, sender end) in the root namespace, quiet: no IPv6, no address."""
    pid = os.getpid()
    core_if, peer_if = f"nvs{pid}c", f"nvs{pid}p"
    ip = nvnetns.tool("ip")
    run([ip, "link", "add", core_if, "type", "veth", "peer", "name", peer_if])
    env.add_cleanup(lambda: run([ip, "link", "del", core_if], check=False))
    for ifn in (core_if, peer_if):
        with open(f"/proc/sys/net/ipv6/conf/{ifn}/disable_ipv6", "w") as f:
            f.write("1")
        run([nvnetns.tool("ethtool"), "-K", ifn] + nvnetns.OFFLOADS_OFF, check=False)
        run([ip, "link", "set", ifn, "up"])
    return core_if, peer_if


def stable_free(core):
    """pool0_free once two reads 0.3 s apart agree (no traffic, no NF); None if never."""
    last = None
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        cur = core.stats().get("pool0_free")
        if cur is not None and cur == last:
            return cur
        last = cur
        time.sleep(0.3)
    return None


def gone(core, nf_id, role, also=None):
    """Wait until instance @nf_id of @role has left the core's table; True if it did.

    An id freed is given again: another NF (a VM's lease above all, taken as
    soon as its QEMU starts) may hold @nf_id by then, so an entry of another
    role counts as gone, and so does also() when given."""
    ok, _ = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_role") != role or
                              (also is not None and also()), SETTLE_S)
    return ok


def grows(core, key):
    """Wait until counter @key moves; True if it did within the deadline."""
    a = core.stats().get(key, 0)
    ok, _ = core.tel.wait_for(lambda s: s.get(key, 0) > a, SETTLE_S)
    return ok


def start_nf(env, chk, core, role):
    """The NF of @role (1: a bridge, 2: nf_dup), attached and live; None (check failed) if not."""
    binary = nvenv.BRIDGE_BIN if role == 1 else NF_DUP_BIN
    nf = Nf(env, core, binary, role)
    err = nf.start_attached()
    return nf if chk.ok(err is None, f"{os.path.basename(binary)} of role {role} attaches",
                        err or "") else None


def churn(chk, core, fig):
    """Raw NFs attach, run, take what comes and close holding it, CHURN times."""
    ok = True
    for _ in range(CHURN):
        try:
            raw = RawNf(core.sock, RAW_ROLE)
        except (rawnf.AttachError, OSError) as exc:
            return chk.ok(False, "a raw NF attaches", str(exc))
        raw.set_state(NF_RUNNING)
        fig["held"] += len(raw.receive(8, timeout=2))
        nf_id = raw.nf_id
        raw.close()
        ok = gone(core, nf_id, RAW_ROLE) and ok
        fig["attach"] += 1
    return chk.ok(ok, f"{CHURN} raw NFs attached and closed holding {fig['held']} buffers; "
                  "each detached")


def forge(chk, core, sender, fig):
    """A raw NF returns forged descriptors; each reason moves by exactly what was forged."""
    try:
        raw = RawNf(core.sock, RAW_ROLE)
    except (rawnf.AttachError, OSError) as exc:
        return chk.ok(False, "the forging raw NF attaches", str(exc))
    raw.set_state(NF_RUNNING)
    got = raw.receive(FORGE_HOLD, timeout=SETTLE_S)
    # Nothing more for role 3 while we forge: every buffer we hold, we dequeued.
    sender.roles.discard(RAW_ROLE)
    time.sleep(0.2)
    while True:
        more = raw.rx.dequeue(64)
        if not more:
            break
        got += more
    # ours: what we dequeued, and what the core stocked our alloc ring with
    # (topped up only when we allocate, so stable while we do not)
    held = {d.buf for d in got} | {d.buf for d in raw.alloc.peek_all()}
    if not chk.ok(len(got) >= 4, "the forging raw NF receives packets", f"got {len(got)}"):
        sender.roles.add(RAW_ROLE)
        raw.close()
        return False
    others = [b for b in range(raw.buf_count) if b not in held][:8]
    forged = {
        "bad_buf": [Desc(buf=raw.buf_count + i, len=60, action=ACT_DROP) for i in range(5)] +
                   [Desc(buf=0xffffffff, len=60, action=ACT_OUT, port=1)],
        "not_owned": [Desc(buf=b, len=60, action=ACT_OUT, port=1) for b in others],
        "bad_offset": [got[0].copy(data_off=raw.buf_stride - 10, len=100, action=ACT_OUT,
                                   port=1),
                       got[1].copy(len=0, action=ACT_OUT, port=1)],
        "bad_action": [got[2].copy(action=200), got[3].copy(action=4)],
    }
    before = core.stats()
    descs = [d for v in forged.values() for d in v]
    sent = raw.send(descs, timeout=SETTLE_S)
    want = {r: before.get(f"drop_{r}", 0) + len(v) for r, v in forged.items()}
    ok, after = core.tel.wait_for(
        lambda s: all(s.get(f"drop_{r}", 0) >= n for r, n in want.items()), SETTLE_S)
    time.sleep(0.2)  # anything more than forged would show now
    after = core.stats()
    exact = all(after.get(f"drop_{r}", 0) == n for r, n in want.items())
    chk.ok(sent and ok and exact,
           f"{len(descs)} forged descriptors: each drop reason moved by exactly what was forged",
           ", ".join(f"{r} {after.get(f'drop_{r}', 0) - before.get(f'drop_{r}', 0)}/{len(v)}"
                     for r, v in forged.items()))
    fig["forged"] += len(descs)
    nf_id = raw.nf_id
    raw.close()  # still holding the rest of what it received
    sender.roles.add(RAW_ROLE)
    return chk.ok(gone(core, nf_id, RAW_ROLE), "the forging raw NF detached when it closed")


class SoakVm:
    """The VM of --vm: netvm-manager, its one VM, and what a round does to it."""

    def __init__(self, env, chk, core, kernel, initrd):
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "manager"))
        import mgrtest  # pylint: disable=import-outside-toplevel
        self.chk = chk
        self.core = core
        conf = (f'  {{ name = "{VM_NAME}"; role = {VM_ROLE}; queues = 1; vcpus = 1; '
                f'memory = 128;\n    kernel = "{kernel}"; initrd = "{initrd}";\n'
                f'    nf = "{VM_NF}"; launcher = "qemu"; restart = "on-failure"; }}')
        self.mgr = mgrtest.Manager(env, core, [conf], VM_MANAGER_EXTRA)
        self.vm = {}
        self.kills = 0
        self.restarts = 0

    def start(self):
        """Start the manager and wait for the VM running, its instance attached; True if so."""
        err = self.mgr.start_ready()
        if not self.chk.ok(err is None, "netvm-manager starts", err or ""):
            return False
        vm = self.wait_up(None)
        return vm is not None

    def wait_up(self, old):
        """The VM running in a QEMU other than @old's, its new instance attached as
        VM_ROLE; the vm dict, or None (check failed)."""
        def up(v):
            return (v.get("state") == "running" and isinstance(v.get("nf_id"), int) and
                    (old is None or v.get("pid") != old.get("pid")))
        ok, vm = self.mgr.wait_vm(VM_NAME, up, VM_BOOT_S)
        if not self.chk.ok(ok, f"netvmctl vm list shows {VM_NAME} running"
                           + (" in a new QEMU" if old else ""),
                           f"last seen {vm}" + self.mgr.tail()):
            return None
        key = f"nf{vm['nf_id']}_role"
        ok, st = self.core.tel.wait_for(lambda s: s.get(key) == VM_ROLE, SETTLE_S)
        if not self.chk.ok(ok, f"the core has the VM's instance {vm['nf_id']} as role "
                           f"{VM_ROLE}", f"{key}={st.get(key)}"):
            return None
        self.vm = vm
        return vm

    def receives(self, timeout=SETTLE_S):
        """The VM's instance is live and its nf<I>_rx moves; True if so."""
        i = self.vm.get("nf_id")
        rx = self.core.stats().get(f"nf{i}_rx", 0)
        ok, st = self.core.tel.wait_for(lambda s: s.get(f"nf{i}_live") == 1 and
                                        s.get(f"nf{i}_rx", 0) > rx, timeout)
        return self.chk.ok(ok, f"the VM's guest NF (instance {i}) is live and receives",
                           f"live {st.get(f'nf{i}_live')}, rx {rx} -> {st.get(f'nf{i}_rx')}")

    def kill(self):
        """kill -9 the VM's QEMU; the vm dict it had, or None (check failed)."""
        old = dict(self.vm)
        pid = old.get("pid")
        if not self.chk.ok(isinstance(pid, int) and pid > 0, "vm list gives QEMU's pid",
                           f"{old}"):
            return None
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError as exc:
            self.chk.ok(False, f"kill -9 QEMU (pid {pid})", str(exc))
            return None
        self.kills += 1
        # the same id may come back at once, as the new QEMU's lease: then the
        # manager names another QEMU
        self.chk.ok(gone(self.core, old["nf_id"], VM_ROLE,
                         lambda: self.mgr.vm(VM_NAME).get("pid") not in (None, pid)),
                    f"QEMU of {VM_NAME} killed (-9): the core detached instance {old['nf_id']}")
        return old

    def back(self, old, t_kill):
        """After kill(): restarted by the manager, live, receiving. A text for the round's
        line."""
        vm = self.wait_up(old)
        if vm is None:
            return f"VM {VM_NAME} NOT restarted"
        self.restarts += 1
        ok = self.receives(VM_BOOT_S)
        return (f"VM {VM_NAME} killed (-9) and restarted by the manager (QEMU pid "
                f"{old.get('pid')} -> {vm.get('pid')}, instance {old.get('nf_id')} -> "
                f"{vm.get('nf_id')}, {'receiving' if ok else 'NOT receiving'} "
                f"{time.monotonic() - t_kill:.1f} s after the kill)")

    def held(self, st):
        """Buffers the VM's live instance holds in @st (0 when it has none)."""
        return st.get(f"nf{self.vm.get('nf_id')}_held", 0) if self.vm else 0

    def stop(self, idle):
        """netvmctl vm stop: the pool whole with no VM; the buffers lost."""
        rc, out = self.mgr.netvmctl("vm", "stop", VM_NAME)
        self.chk.ok(rc == 0 and isinstance(out, dict) and out.get("ok") is True,
                    f"netvmctl vm stop {VM_NAME}", str(out))
        ok, st = self.core.tel.wait_for(lambda s: s.get("nfs_attached") == 0 and
                                        s.get("pool0_free") == idle, SETTLE_S)
        free = st.get("pool0_free")
        lost = idle - free if free is not None else idle
        self.chk.ok(ok, f"VM stopped: no NF attached, pool whole (pool0_free {free}, "
                    f"idle {idle})")
        print(f"soak: VM {VM_NAME}: {self.kills} QEMUs killed (-9), {self.restarts} restarts "
              f"by netvm-manager; stopped: pool0_free {free}/{idle}, lost {lost}", flush=True)
        self.chk.eq(self.mgr.stop(15, 30), 0, "netvm-manager exits 0 on SIGTERM")
        return lost


def vm_image(chk, env):
    """(vmlinux, initramfs) of scripts/build-guest.sh's image; fails the soak when missing."""
    gdir = nvguest.guest_dir(env.source_dir)
    what = nvguest.missing(gdir)
    if what:
        chk.fatal("the guest image for --vm", f"{what} is missing; run scripts/build-guest.sh "
                  f"(NETVM_GUEST_DIR={gdir})")
    print(f"soak: --vm: guests under {nvguest.accel_line(gdir)}", flush=True)
    return os.path.join(gdir, "vmlinux"), os.path.join(gdir, "initramfs.cpio.gz")


def one_round(env, chk, core, sender, idle, n, vm=None):
    """One round; returns (buffers lost, figures)."""
    fig = {"attach": 0, "kills": 0, "held": 0, "forged": 0}
    t0 = time.monotonic()
    sent0 = sender.sent
    b1 = start_nf(env, chk, core, 1)
    b2 = start_nf(env, chk, core, 2)
    sender.running.set()
    vm_old, t_kill = None, 0.0
    if vm is not None and vm.receives(VM_BOOT_S):
        # kill -9 QEMU first: the new guest boots while the rest of the round runs
        t_kill = time.monotonic()
        vm_old = vm.kill()
    if b1 and b2:
        chk.ok(grows(core, f"nf{b1.id}_rx") and grows(core, f"nf{b2.id}_rx"),
               "traffic reaches both NFs")
        # kill -9 one NF mid-traffic; a new one takes its role
        victim_role = 1 + n % 2
        victim = b1 if victim_role == 1 else b2
        victim.send_signal(signal.SIGKILL)
        fig["kills"] += 1
        chk.ok(gone(core, victim.id, victim_role),
               f"NF of role {victim_role} killed (-9): detached")
        again = start_nf(env, chk, core, victim_role)
        if again:
            chk.ok(grows(core, f"nf{again.id}_rx"), f"the new NF of role {victim_role} "
                   "gets traffic")
        if victim_role == 1:
            b1 = again
        else:
            b2 = again
    churn(chk, core, fig)
    forge(chk, core, sender, fig)
    vm_text = ""
    if vm is not None:
        vm_text = (vm.back(vm_old, t_kill) if vm_old is not None
                   else f"VM {VM_NAME} NOT killed")
    chk.ok(core.alive(), "the core is alive under traffic")

    # quiesce: no traffic, no NF; then the pool must be whole
    sender.running.clear()
    time.sleep(0.2)
    for nf, sig in ((b1, signal.SIGINT), (b2, signal.SIGKILL)):
        if nf is None:
            continue
        if sig == signal.SIGKILL:
            nf.send_signal(sig)
            fig["kills"] += 1
        else:
            nf.stop(sig)
        gone(core, nf.id, nf.role)
    if vm is None:
        ok, st = core.tel.wait_for(lambda s: s.get("pool0_free") == idle, SETTLE_S)
        free = st.get("pool0_free") if st else core.stats().get("pool0_free")
        lost = idle - free if free is not None else idle
        chk.ok(ok, f"round {n}: pool whole again (pool0_free {free}, idle {idle})")
        pool = f"pool0_free {free}/{idle}"
    else:
        # the VM runs on: whole is free + what its live instance holds, the killed
        # instance gone (the core took back what it held)
        dead = vm_old.get("nf_id") if vm_old else None
        ok, st = core.tel.wait_for(lambda s: s.get("pool0_free", 0) + vm.held(s) == idle and
                                   (dead == vm.vm.get("nf_id") or f"nf{dead}_role" not in s),
                                   SETTLE_S)
        st = st or core.stats()
        free, held = st.get("pool0_free"), vm.held(st)
        lost = idle - free - held if free is not None else idle
        chk.ok(ok, f"round {n}: pool whole again (pool0_free {free} + {held} held by the "
               f"VM, idle {idle})")
        pool = f"pool0_free {free} + VM held {held} = {(free or 0) + held}/{idle}"
    alive = core.alive()
    print(f"soak: round {n}: {time.monotonic() - t0:.1f} s, {sender.sent - sent0} frames sent, "
          f"{fig['kills']} NFs killed, {fig['attach']} raw attach/detach holding "
          f"{fig['held']} buffers, {fig['forged']} forged descriptors, {pool}, "
          f"lost {lost}, core {'alive' if alive else 'DEAD'}"
          + (f"; {vm_text}" if vm_text else ""), flush=True)
    return lost, alive


def main():
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--rounds", type=int, default=None)
    own.add_argument("--seconds", type=float, default=None)
    own.add_argument("--vm", action="store_true")
    opts, rest = own.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    bad = ("--rounds and --seconds do not go together"
           if opts.rounds is not None and opts.seconds is not None else
           "--rounds needs a whole number of at least 1"
           if opts.rounds is not None and opts.rounds < 1 else
           "--seconds needs a number of seconds above 0"
           if opts.seconds is not None and not 0 < opts.seconds < 1e9 else None)
    if bad is not None:
        print(f"soak: error: {bad}", file=sys.stderr)
        sys.exit(2)
    rounds = opts.rounds if opts.rounds is not None else (None if opts.seconds else 3)
    per_round = ROUND_MAX_S + (VM_BOOT_S if opts.vm else 0)
    budget = opts.seconds if opts.seconds else rounds * per_round
    env = nvenv.setup("soak", budget + 2 * per_round, __doc__ +
                      "\nOwn options: --rounds N (default 3) | --seconds S; --vm")
    chk = check.Checker("soak")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, NF_DUP_BIN])
    nets = dict(NETS)
    rule = ""
    if opts.vm:
        kernel, initrd = vm_image(chk, env)
        nvenv.require_binaries(env, chk, ["manager/netvm-manager", "manager/netvmctl"])
        nets[VM_ROLE] = VM_NET
        rule = f',\n  {{ dst = "{VM_NET}"; role = {VM_ROLE}; }}'

    core_if, peer_if = make_veth(env)
    frames = {role: [p.frame for p in traffic.simple_flows(role, [net], 16)]
              for role, net in nets.items()}
    core = Core(env, "soak", CONFIG % rule,
                [f"net_af_packet0,iface={core_if}", "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    idle = stable_free(core)
    if not chk.ok(idle is not None and idle > 0, f"idle pool: {idle} buffers free, no NF, "
                  "no traffic"):
        env.done(chk)
    vm = None
    if opts.vm:
        vm = SoakVm(env, chk, core, kernel, initrd)
        if not vm.start():
            env.done(chk)
    sender = Sender(peer_if, frames)
    sender.start()
    env.add_cleanup(sender.stop)

    t0 = time.monotonic()
    n = total_lost = 0
    alive = True
    while alive:
        if rounds is not None and n >= rounds:
            break
        if rounds is None and time.monotonic() - t0 >= opts.seconds:
            break
        chk.section(f"round {n}")
        lost, alive = one_round(env, chk, core, sender, idle, n, vm)
        total_lost += lost
        n += 1
    sender.stop()
    if vm is not None and alive:
        total_lost += vm.stop(idle)
    chk.ok(alive and core.alive(), "the core is alive after every round")
    print(f"soak: {n} rounds in {time.monotonic() - t0:.0f} s, {total_lost} buffers lost "
          "(must be 0)", flush=True)
    chk.eq(total_lost, 0, "no buffer lost over all rounds")
    if core.alive():
        core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
