#!/usr/bin/env python3
"""l3fwd_vm: real kernel traffic routed by netvm-l3fwd running inside a QEMU guest.

  nvA-<pid> 10.0.1.2/24 (+ 10.0.1.3)                 nvB-<pid> 10.0.2.2/24
        │ veth                                               │ veth
  host end = port 0 ─┐                          ┌─ port 1 = host end
   (net_af_packet)   └──────── core engine ─────┘   (net_af_packet)
                        │ rings       │ rings
             VM: netvm-l3fwd       host: netvm-bridge --next
             --transport uio       (role 2, only for 10.0.1.3)
             (role 1)

The VM is started by tests/vm/glue.py, as the manager will: it attaches to
the core on the VM's behalf, serves QEMU's ivshmem-doorbell chardev with the
private region and the doorbell, and maps the pool file with ivshmem-plain.
Cases, in order, on one core engine:

  vm        the guest runs `netvm-l3fwd --transport uio -r 1 -- --mode lpm
            --routes /etc/routes` (routes passed with netvm.file=); ping both
            ways must pass, and the VM's instance must count the packets;
            the RTT through the VM is printed
  chain     traffic of 10.0.1.3 enters chain [2, 1]: a host-process bridge
            (--next) then the VM's l3fwd; ping both ways must pass through both
  kill      QEMU is killed (SIGKILL) during a ping flood: the glue closes its
            core connection, the core drops the VM's instance, and within a
            few seconds every buffer is back (free + held by the bridge = total)
  garbage   a second VM runs tests/vm/guest_garbage (4 bad descriptors per
            kind, then an impossible ring index): each drop_<reason> counter
            moves by exactly 4, ring_corrupt moves, the core keeps running and
            gets every buffer back when that VM powers off
  sleep     a third VM runs l3fwd with --sleep-after-us: between pings it
            sleeps on its doorbell (/dev/uioN, MSI-X from the core's eventfd);
            pings must pass, the core must ring (nf<I>_doorbells) and the NF,
            stopped from the guest console, must count wake-ups

Expected values come from the test (pings sent, descriptors written), never
from the code under test. Needs root, hugepages, iproute2, ethtool, ping and
the guest image: exits 77 (skipped) when scripts/build-guest.sh has not built it.
"""

import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)

import glue  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest import guest as nvguest  # noqa: E402
from nvtest import netns as nvnetns  # noqa: E402
from nvtest.proc import Core, Nf, Proc, run  # noqa: E402
from nvtest.telemetry import drops, nf_ids  # noqa: E402

SKIP = 77
VM_ROLE, BRIDGE_ROLE, GARBAGE_ROLE = 1, 2, 3
CHAIN_ADDR = "10.0.1.3"  # A's second address: its traffic takes the chain
GARBAGE_N = 4            # bad descriptors per kind (guest_garbage argument)
GARBAGE_KINDS = ("bad_buf", "not_owned", "bad_action", "bad_offset", "bad_port")
PINGS = 5
ATTACH_TIMEOUT = 90      # boot + NF start under TCG: ~5 s
RECLAIM_TIMEOUT = 3.0    # seconds for the core to take the VM's buffers back

# 4095 buffers + the header slot = 4096 x 4 KiB = 16 MiB: a power of two, as
# ivshmem needs. net_af_packet needs buffers above 2048 bytes.
CONFIG = f"""core = {{
  pool_buffers = 4095;
  buffer_size = 4096;
}};
roles = ( {{ id = {VM_ROLE}; name = "vm-l3fwd"; }}, {{ id = {BRIDGE_ROLE}; name = "bridge"; }} );
chains = ( {{ name = "bridge-vm"; roles = [ {BRIDGE_ROLE}, {VM_ROLE} ]; }} );
rules = (
  {{ src = "{CHAIN_ADDR}"; chain = "bridge-vm"; }},
  {{ dst = "{CHAIN_ADDR}"; chain = "bridge-vm"; }},
  {{ in_port = 0; role = {VM_ROLE}; }},
  {{ in_port = 1; role = {VM_ROLE}; }}
);
default = {{ action = "drop"; }};
"""
RTT_RE = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")
RECV_RE = re.compile(r"(\d+) packets transmitted, (\d+) received")
RECLAIMED_RE = re.compile(r"^nf (\d+) detached: role \d+, (\d+) buffer\(s\) reclaimed", re.M)


def ping(ns, dst, source=None, count=PINGS, tries=3):
    """Ping @dst from namespace @ns until one try gets every reply.

    Returns (ok, replies of all tries, avg rtt ms of the good try or None, last output)."""
    argv = [nvenv.which("ping") or "ping", "-n", "-c", str(count), "-W", "5", "-i", "0.2"]
    if source:
        argv += ["-I", source]
    replies, out = 0, ""
    for _ in range(tries):
        try:
            r = subprocess.run(ns.exec_argv(argv + [dst]), capture_output=True, text=True,
                               timeout=count * 0.2 + 15)
            out = r.stdout + r.stderr
        except subprocess.TimeoutExpired:
            out = "timeout"
        m = RECV_RE.search(out)
        got = int(m.group(2)) if m else 0
        replies += got
        if got == count:
            rtt = RTT_RE.search(out)
            return True, replies, float(rtt.group(2)) if rtt else None, out
    return False, replies, None, out


def start_vm(env, chk, core, tag, role, command, files=None):
    """Boot a VM whose NF attaches as @role; the glue.Vm, or None after a failed check."""
    vm = glue.Vm(env.workdir, core.sock, core.prefix, role, command, files, tag=tag)
    vm.core_log_mark = len(core.stdout())  # the core's log lines about this VM follow
    env.add_cleanup(vm.close)
    try:
        vm.start()
    except glue.GlueError as exc:
        chk.ok(False, f"{tag}: glue attaches the VM and starts QEMU", str(exc))
        return None
    chk.ok(True, f"{tag}: glue attached the VM as instance {vm.nf_id} of role {role}, "
           f"QEMU pid {vm.qemu.pid}")
    return vm


def wait_guest_nf(chk, vm, tag):
    """Wait until the guest NF says it runs (its state word in the private region)."""
    deadline = time.monotonic() + ATTACH_TIMEOUT
    while time.monotonic() < deadline and not vm.exited.is_set():
        if vm.nf_state() == "running":
            break
        time.sleep(0.1)
    tail = "\n    " + "\n    ".join(vm.console().splitlines()[-15:])
    if not chk.eq(vm.nf_state(), "running", f"{tag}: the guest NF runs (private header)"):
        print(tail, flush=True)
        return False
    # netlib marks the header running, then prints: the serial line may lag.
    said = f"attached as instance {vm.nf_id} of role {vm.role}"
    deadline = time.monotonic() + 10
    while said not in vm.console() and time.monotonic() < deadline:
        time.sleep(0.1)
    tail = "\n    " + "\n    ".join(vm.console().splitlines()[-15:])
    return chk.ok(said in vm.console(),
                  f"{tag}: the guest NF says it is instance {vm.nf_id} of role {vm.role}", tail)


def held_elsewhere(st, gone):
    """Buffers held by the NFs still attached (all but @gone)."""
    return sum(st.get(f"nf{i}_held", 0) for i in nf_ids(st) if i != gone)


def pool_whole(st, gone):
    return ("pool0_total" in st and f"nf{gone}_role" not in st and
            st.get("pool0_free", -1) + held_elsewhere(st, gone) == st["pool0_total"])


def check_reclaimed(chk, core, vm, tag, since=None):
    """After the VM is gone: its instance left, and every buffer is back.
    With @since (time.monotonic() of the kill), print how long that took."""
    rc = vm.wait(30)
    chk.ok(vm.exited.is_set() and vm.link_closed_at is not None,
           f"{tag}: the glue closed its core connection when QEMU exited (status {rc})")
    ok, st = core.tel.wait_for(lambda s: pool_whole(s, vm.nf_id), RECLAIM_TIMEOUT)
    chk.ok(ok, f"{tag}: the core dropped instance {vm.nf_id} and has every buffer back "
           "(pool0_free + held by other NFs == pool0_total)",
           f"pool0_free={st.get('pool0_free')} held_elsewhere={held_elsewhere(st, vm.nf_id)} "
           f"total={st.get('pool0_total')} nf{vm.nf_id}_role={st.get(f'nf{vm.nf_id}_role')}")
    if ok and since is not None:
        print(f"  (QEMU gone, connection closed and buffers back "
              f"{time.monotonic() - since:.2f} s after SIGKILL)", flush=True)
    m = {int(a): int(b) for a, b in RECLAIMED_RE.findall(core.stdout()[vm.core_log_mark:])}
    chk.gt(m.get(vm.nf_id), 0, f"{tag}: the core took back the VM's buffers (its log)")
    chk.ok(core.alive(), f"{tag}: the core engine is still running")


def case_vm(chk, core, vm, a, b):
    """Ping both ways through the guest l3fwd. Returns the RTT (ms) or None."""
    chk.section("vm: l3fwd in the guest routes between the namespaces")
    st0 = core.stats()
    ok1, rep1, rtt1, out1 = ping(a, b.addr)
    chk.ok(ok1, f"vm: ping {a.addr} -> {b.addr}: {PINGS} of {PINGS} replies", out1[-300:])
    ok2, rep2, rtt2, out2 = ping(b, a.addr)
    chk.ok(ok2, f"vm: ping {b.addr} -> {a.addr}: {PINGS} of {PINGS} replies", out2[-300:])
    st1 = core.stats()
    key = f"nf{vm.nf_id}_rx"
    # each reply crossed the VM twice: the request and the reply
    delta = st1.get(key, 0) - st0.get(key, 0)
    chk.gt(delta, 0, f"vm: the VM's instance received packets ({key} grows)")
    chk.ge(delta, 2 * (rep1 + rep2),
           f"vm: {key} grows by at least 2 x the {rep1 + rep2} replies (request + reply)")
    rtts = [r for r in (rtt1, rtt2) if r is not None]
    if rtts:
        print(f"  ping RTT through the VM ({nvguest.accel(glue.guest_dir())}"
              f"): avg {sum(rtts) / len(rtts):.3f} ms ({', '.join(f'{r:.3f}' for r in rtts)})",
              flush=True)
    return rtts


def case_chain(env, chk, core, vm, a, b):
    """Chain [bridge (host), l3fwd (VM)] for 10.0.1.3. Returns the bridge Nf or None."""
    chk.section("chain: host bridge --next, then the VM's l3fwd")
    bridge = Nf(env, core, nvenv.BRIDGE_BIN, BRIDGE_ROLE, ["--next"], name="bridge")
    err = bridge.start_attached()
    if not chk.ok(err is None, "chain: host bridge attaches (role 2, --next)", err or ""):
        return None
    st0 = core.stats()
    ok1, rep1, rtt1, out1 = ping(a, b.addr, source=CHAIN_ADDR)
    chk.ok(ok1, f"chain: ping {CHAIN_ADDR} -> {b.addr}: {PINGS} of {PINGS} replies", out1[-300:])
    ok2, rep2, rtt2, out2 = ping(b, CHAIN_ADDR)
    chk.ok(ok2, f"chain: ping {b.addr} -> {CHAIN_ADDR}: {PINGS} of {PINGS} replies", out2[-300:])
    st1 = core.stats()
    for nf_id, what in ((bridge.id, "bridge"), (vm.nf_id, "VM")):
        key = f"nf{nf_id}_rx"
        chk.ge(st1.get(key, 0) - st0.get(key, 0), 2 * (rep1 + rep2),
               f"chain: the {what} ({key}) saw every chained packet")
    rtts = [r for r in (rtt1, rtt2) if r is not None]
    if rtts:
        print(f"  ping RTT through bridge + VM: avg {sum(rtts) / len(rtts):.3f} ms", flush=True)
    return bridge


def case_kill(env, chk, core, vm, a, b, bridge):
    """SIGKILL QEMU during a ping flood; everything the VM held comes back."""
    chk.section("kill: QEMU killed (SIGKILL) mid-traffic")
    flood = Proc(env, "ping-flood", a.exec_argv([nvenv.which("ping") or "ping", "-n", "-q",
                                                  "-i", "0.01", "-c", "3000", b.addr]))
    flood.start()
    key = f"nf{vm.nf_id}_rx"
    before = core.stats().get(key, 0)
    ok, st = core.tel.wait_for(lambda s: s.get(key, 0) >= before + 20, 10)
    chk.ok(ok, f"kill: traffic flows through the VM ({key} {before} -> {st.get(key)})")
    killed = time.monotonic()
    vm.kill(signal.SIGKILL)
    check_reclaimed(chk, core, vm, "kill", killed)
    chk.ok(bridge is None or bridge.alive(), "kill: the host bridge is still running")
    flood.stop(signal.SIGINT, 5)


def case_garbage(env, chk, core, guest_ok):
    """A guest writes bad descriptors into its ring: counted, survived."""
    chk.section("garbage: a guest writes bad descriptors and an impossible index")
    if not guest_ok:
        chk.ok(False, "garbage: skipped, the first VM did not run")
        return
    st0 = core.stats()
    vm = start_vm(env, chk, core, "garbage", GARBAGE_ROLE, f"/bin/guest_garbage {GARBAGE_N}")
    if vm is None:
        return
    rc = vm.wait(ATTACH_TIMEOUT)
    console = vm.console()
    tail = "\n    " + "\n    ".join(console.splitlines()[-15:])
    chk.eq(rc, 0, "garbage: the guest powered off (QEMU exit status 0)")
    chk.ok(f"garbage: nf_id {vm.nf_id} role {GARBAGE_ROLE} " in console,
           f"garbage: guest_garbage found its regions (instance {vm.nf_id}, role {GARBAGE_ROLE})",
           tail)
    for kind in GARBAGE_KINDS:
        chk.ok(f"garbage: {kind} sent {GARBAGE_N} consumed yes" in console,
               f"garbage: the core consumed the {kind} descriptors", tail)
    chk.ok(re.search(r"garbage: corrupt prod \+\d+ consumed no", console) is not None,
           "garbage: the core moved nothing past the impossible index", tail)
    chk.ok("netvm-init: exit status 0" in console, "garbage: guest_garbage exit status 0", tail)
    st1 = core.stats()
    d0, d1 = drops(st0), drops(st1)
    for kind in GARBAGE_KINDS:
        chk.eq(d1.get(kind, 0) - d0.get(kind, 0), GARBAGE_N, f"garbage: drop_{kind} + {GARBAGE_N}")
    chk.gt(d1.get("ring_corrupt", 0) - d0.get("ring_corrupt", 0), 0,
           "garbage: drop_ring_corrupt moves")
    check_reclaimed(chk, core, vm, "garbage")


def case_sleep(env, chk, core, a, b, routes, guest_ok):
    """The guest NF sleeps on its doorbell when idle; pings wake it."""
    chk.section("sleep: guest l3fwd sleeping on its doorbell (MSI-X)")
    if not guest_ok:
        chk.ok(False, "sleep: skipped, the first VM did not run")
        return
    # SIGINT the NF when a line arrives on the console, so it prints its counters.
    vm = start_vm(env, chk, core, "sleep", VM_ROLE,
                  f"/bin/netvm-l3fwd --transport uio -r {VM_ROLE} --sleep-after-us 1000 -- "
                  "--mode lpm --routes /etc/netvm/routes & read line; kill -INT $!; wait $!",
                  {"/etc/netvm/routes": routes})
    if vm is None or not wait_guest_nf(chk, vm, "sleep"):
        return
    key = f"nf{vm.nf_id}_doorbells"
    st0 = core.stats()
    ok, replies, rtt, out = ping(a, b.addr)
    chk.ok(ok, f"sleep: ping {a.addr} -> {b.addr}: {PINGS} of {PINGS} replies", out[-300:])
    st1 = core.stats()
    chk.ok(key in st1, f"sleep: the core counts doorbells ({key})", str(sorted(st1))[:300])
    chk.gt(st1.get(key, 0) - st0.get(key, 0), 0, f"sleep: the core rang the sleeping NF ({key})")
    if rtt is not None:
        print(f"  ping RTT through the VM, NF woken by its doorbell: avg {rtt:.3f} ms",
              flush=True)
    try:
        vm.type_line("stop")
    except glue.GlueError as exc:
        chk.ok(False, "sleep: stop the guest NF from the console", str(exc))
    rc = vm.wait(30)
    console = vm.console()
    tail = "\n    " + "\n    ".join(console.splitlines()[-15:])
    chk.eq(rc, 0, "sleep: the guest powered off after the NF stopped (QEMU status 0)")
    chk.ok("netvm-init: exit status 0" in console, "sleep: the guest NF exited 0", tail)
    wake = re.search(r"^wakeups (\d+)", console, re.M)
    chk.gt(int(wake.group(1)) if wake else None, 0,
           "sleep: the guest NF counts doorbell wake-ups (its 'wakeups' line)")
    check_reclaimed(chk, core, vm, "sleep")


def main():
    env = nvenv.setup("l3fwd_vm", timeout=230, description=__doc__)
    chk = check.Checker("l3fwd_vm")
    gdir = glue.guest_dir(env.source_dir)
    missing = glue.image_missing(gdir)
    if missing:
        print(f"l3fwd_vm: skipped: {missing} is missing; run scripts/build-guest.sh "
              f"(NETVM_GUEST_DIR={gdir})", flush=True)
        env.failed = False
        sys.exit(SKIP)
    os.environ["NETVM_GUEST_DIR"] = gdir
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])
    for prog in ("ip", "ethtool", "ping"):
        if nvenv.which(prog) is None:
            chk.fatal(f"{prog} installed", f"{prog} not found")

    chk.section("namespaces and core")
    try:
        a, b = nvnetns.make_pair(env)
        run([nvnetns.tool("ip"), "-n", a.ns, "addr", "add", f"{CHAIN_ADDR}/24", "dev", a.ns_if])
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        chk.fatal("namespaces and veth pairs set up", f"{exc}: {getattr(exc, 'stderr', '')}")
    a.set_gateway_mac(a.host_mac)
    b.set_gateway_mac(b.host_mac)
    routes = f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n".encode()
    core = Core(env, "vm", CONFIG, [f"net_af_packet0,iface={a.host_if}",
                                    f"net_af_packet1,iface={b.host_if}"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts on the two host-end veths", err or ""):
        env.done(chk)

    start = time.monotonic()
    vm = start_vm(env, chk, core, "l3fwd", VM_ROLE,
                  f"/bin/netvm-l3fwd --transport uio -r {VM_ROLE} -- --mode lpm "
                  "--routes /etc/netvm/routes", {"/etc/netvm/routes": routes})
    guest_ok = vm is not None and wait_guest_nf(chk, vm, "vm")
    bridge = None
    if guest_ok:
        print(f"  (guest NF running {time.monotonic() - start:.1f} s after start)", flush=True)
        case_vm(chk, core, vm, a, b)
        bridge = case_chain(env, chk, core, vm, a, b)
        case_kill(env, chk, core, vm, a, b, bridge)
    case_garbage(env, chk, core, guest_ok)
    case_sleep(env, chk, core, a, b, routes, guest_ok)

    chk.section("shutdown")
    if bridge is not None:
        chk.eq(bridge.stop_counters()[0], 0, "host bridge exits 0 on SIGINT")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
