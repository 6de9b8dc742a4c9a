#!/usr/bin/env python3
"""lease: an NF joins the datapath only once it runs; a manager's lease outlives its connection.

The raw NF of tests/lib/nvtest/rawnf.py speaks the attach protocol the way
netvm-manager does (docs/abi.md, 3 and 3.1). Port 0 receives exactly the
frames the test writes into it (nvtest.inject: a veth pair, nothing else on
it), every packet to role 1; port 1 is a net_null sink. With no traffic in
flight the pool's free count is exact: every check of "every buffer back"
compares pool0_free with pool0_total after port 0 took all that was sent.

  join      500 instances attached and closed one after the other: each is
            in telemetry when its handshake ends, and all are detached
            once closed; an instance that has not
            written nf_state = running gets nothing
            (nf<I>_live 0, its rx ring stays empty, the packets are dropped
            as no_instance, each counted in role1_no_instance too, no
            other role's count appears); once it writes it, it is live
            and receives
  lease     a lease with token 0 is refused; a lease whose socket closes
            without NVM_MSG_DETACH is orphaned (nf<I>_orphaned 1) and still
            delivered to; an adopt with a wrong token, or of a lease still
            held, is refused; the right token gets the same regions (a byte
            written through the first mapping is read through the second)
  detach    NVM_MSG_DETACH ends the lease at once: every buffer back
  expiry    an orphan nobody adopts is detached after core.lease_s, its
            buffers reclaimed: the core's log says so, in that order
            (orphaned, not adopted, detached), and the time it took is
            checked with a generous bound

Expected values come from the test (what it wrote, what it sent), never from
the code under test.
"""

import errno
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector, drained  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.telemetry import TelemetryError  # noqa: E402
from nvtest.rawnf import (ABI_VERSION, ADOPT_MAGIC, LEASE_MAGIC, MSG_DETACH,  # noqa: E402
                          NF_RUNNING, RawNf)

ROLE = 1
LEASE_S = 6
ATTACHES = 500
# Time bounds where time is the property, generous for a loaded machine; the
# event itself (which log line, in which order) is checked separately.
EXPIRY_LATE_S = 5  # expiry may come this long after LEASE_S (a lease 2x too long fails)
TOKEN = 0x5eed_1234_abcd_0042
CONFIG = f"""core = {{
  pool_buffers = 4096;
  buffer_size = 4096;
  ring_size = 256;
  lease_s = {LEASE_S};
}};
rules = ( {{ in_port = 0; role = {ROLE}; }} );
default = {{ action = "drop"; }};
"""
MARK_OFF = rawnf.PRIV_HDR_SIZE - 16  # header padding nobody reads: our marker


def lease_hello(role=ROLE, token=TOKEN):
    return [LEASE_MAGIC, ABI_VERSION, role, 1, token]


def adopt_hello(nf_id, token=TOKEN):
    return [ADOPT_MAGIC, ABI_VERSION, nf_id, token]


def refused(chk, sock, hello, what, errno_name):
    """Attach with @hello; check the core refuses it with @errno_name."""
    try:
        RawNf(sock, ROLE, hello=hello).close()
        chk.ok(False, f"{what} is refused", "the core sent the regions")
    except rawnf.AttachError as exc:
        code = getattr(errno, errno_name)
        chk.ok(f"NVM_MSG_ERROR {-code} " in str(exc), f"{what} is refused with {errno_name}",
               str(exc))


def whole(st):
    """Predicate over stats: every buffer of pool 0 is free."""
    return st.get("pool0_total", 0) > 0 and st.get("pool0_free") == st.get("pool0_total")


def drop_no_instance(core):
    return core.stats().get("drop_no_instance", 0)


def wait_events(core, nf_id, since, count, timeout=10.0):
    """Wait until the core's log has @count events about @nf_id after line
    @since (the log line may follow the telemetry by a moment); the events."""
    deadline = time.monotonic() + timeout
    while True:
        got = log_events(core, nf_id, since)
        if len(got) >= count or time.monotonic() >= deadline:
            return got
        time.sleep(0.05)


def send_drained(core, inj, frames, what, chk):
    """Send @frames into port 0 and wait until the core has received them all."""
    inj.send(frames)
    ok, st = core.tel.wait_for(drained(0, inj.sent), 10)
    chk.ok(ok, f"{what}: port 0 received all {inj.sent} frames sent so far",
           f"port0_rx {st.get('port0_rx')}")
    return st


def log_mark(core):
    """Where the core's log ends now: log_events() reads from there on."""
    return len(core.stdout().splitlines())


def log_events(core, nf_id, since):
    """The core's log lines about instance @nf_id after line @since, in order, as events."""
    names = {"orphaned:": "orphaned", "no manager adopted": "expired",
             "detached:": "detached", "adopted:": "adopted", "attached:": "attached"}
    out = []
    for line in core.stdout().splitlines()[since:]:
        if line.startswith(f"nf {nf_id} ") or line.startswith(f"nf {nf_id}:"):
            out += [name for key, name in names.items() if key in line]
    return out


def adopt_at_restart(chk, core, holder, nf_id):
    """A manager that dies and comes back at once: its adoption reaches a
    core that has not yet taken the close (stopped until both are sent). The
    core takes the close first and hands over the lease. Returns the new holder."""
    with core.paused() as stopped:
        chk.ok(stopped, "the core is stopped (every thread)")
        pending = rawnf.PendingAttach(core.sock, ROLE, hello=adopt_hello(nf_id))
        chk.ok(pending.sent.wait(10), "an adoption is sent while the core is stopped ...")
        holder.close()
    nf, err = pending.wait(10)
    chk.ok(nf is not None, "... then its holder closes: the core, running again, takes the "
           "close and the adoption", err)
    if nf is None:
        return holder
    chk.eq(nf.nf_id, nf_id, "the same instance")
    return nf


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("lease", 60, __doc__)
    chk = check.Checker("lease")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])
    frames = [bytes(p.frame) for p in traffic.simple_flows(5, ["10.1.0.0/16"], 64)]
    inj = Injector(env)
    core = Core(env, "ls", CONFIG, [inj.vdev(0), "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    st = core.stats()
    chk.eq(st.get("pool0_total"), 4096, "pool0_total is pool_buffers")
    chk.ok(whole(st), "with no NF and no traffic every buffer is free",
           f"free {st.get('pool0_free')} of {st.get('pool0_total')}")

    chk.section("join: no packets before the NF says it runs")
    # the core once sent the last handshake message before the instance
    # was in its table: a read right after it could miss it (read as below,
    # 1290-1411 of 3000 attaches here); 500 attaches show it every time
    # (read with /netvm/nf,ID, which names the one instance: /netvm/stats
    # cuts its list at DPDK's 256 entries). Each close comes just before the
    # next hello: the core must take it first, or the role fills (ENOSPC)
    missing = []
    for _ in range(ATTACHES):
        one = RawNf(core.sock, ROLE)
        try:
            got = core.tel.command(f"/netvm/nf,{one.nf_id}")
        except TelemetryError:
            got = None
        if not isinstance(got, dict) or f"nf{one.nf_id}_live" not in got:
            missing.append(one.nf_id)
        one.close()
    chk.ok(not missing, f"each of {ATTACHES} instances is in telemetry as soon as its "
           "handshake ends", f"{len(missing)} missing, the first: {missing[:10]}")
    ok, st = core.tel.wait_for(lambda s: not [k for k in s if re.fullmatch(r"nf\d+_role", k)],
                               10)
    chk.ok(ok, "all of them detached once closed",
           str(sorted(k for k in st if k.endswith("_role"))))
    raw = RawNf(core.sock, ROLE)
    env.add_cleanup(raw.close)
    st = core.stats()
    chk.eq(st.get(f"nf{raw.nf_id}_live"), 0, "attached, not live: nf<I>_live == 0")
    chk.eq(st.get("nfs_attached"), 0, "nfs_attached counts live instances only: 0")
    d0 = drop_no_instance(core)
    r0 = core.stats().get(f"role{ROLE}_no_instance", 0)
    send_drained(core, inj, frames * 4, "not live", chk)
    st = core.stats()
    chk.eq(st.get("drop_no_instance", 0) - d0, len(frames) * 4,
           "every packet for the role is dropped as no_instance")
    chk.eq(st.get(f"role{ROLE}_no_instance", 0) - r0, len(frames) * 4,
           f"... and counted for its role: role{ROLE}_no_instance rises as much")
    others = {k: v for k, v in st.items()
              if re.fullmatch(r"role\d+_no_instance", k) and k != f"role{ROLE}_no_instance"}
    chk.eq(others, {}, "no other role has a no_instance count")
    chk.eq(raw.rx.count(), 0, "its rx ring stays empty")
    raw.set_state(NF_RUNNING)
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{raw.nf_id}_live") == 1, 5)
    chk.ok(ok, "after nf_state = running: live")
    d0 = drop_no_instance(core)
    r0 = core.stats().get(f"role{ROLE}_no_instance", 0)
    send_drained(core, inj, frames * 2, "live", chk)
    got = raw.receive(len(frames) * 2, timeout=5)
    chk.eq(len(got), len(frames) * 2, "it receives every packet sent since")
    chk.eq(drop_no_instance(core) - d0, 0, "none dropped as no_instance")
    chk.eq(core.stats().get(f"role{ROLE}_no_instance", 0) - r0, 0,
           f"role{ROLE}_no_instance stays")
    st = core.stats()
    chk.eq(st.get(f"nf{raw.nf_id}_held", 0) - st.get(f"nf{raw.nf_id}_allocs", 0), len(got),
           "the core counts them as held by it (besides its alloc ring's buffers)")
    raw.close()
    ok, st = core.tel.wait_for(whole, 10)
    chk.ok(ok, "closed: every buffer back (pool0_free == pool0_total)",
           f"free {st.get('pool0_free')} of {st.get('pool0_total')}")

    chk.section("lease: orphaned, refused adoptions, adopted with the same regions")
    refused(chk, core.sock, lease_hello(token=0), "a lease with token 0", "EINVAL")
    mark2 = log_mark(core)
    first = RawNf(core.sock, ROLE, hello=lease_hello())
    first.set_state(NF_RUNNING)
    nf_id = first.nf_id
    ok, _ = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_live") == 1, 5)
    chk.ok(ok, "the leased instance is live")
    refused(chk, core.sock, adopt_hello(nf_id), "adopting a lease its holder still holds",
            "EBUSY")
    mark = os.urandom(8)
    first.priv[MARK_OFF:MARK_OFF + 8] = mark
    rx_off = first.queues[0][0]
    first.sock.close()  # the holder dies: no NVM_MSG_DETACH
    first.sock = None
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_orphaned") == 1, 5)
    chk.ok(ok and st.get(f"nf{nf_id}_live") == 1,
           "its socket closed without NVM_MSG_DETACH: orphaned, still live",
           f"orphaned {st.get(f'nf{nf_id}_orphaned')}, live {st.get(f'nf{nf_id}_live')}")
    rx0 = core.stats().get(f"nf{nf_id}_rx", 0)
    send_drained(core, inj, frames, "orphaned", chk)
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_rx", 0) == rx0 + len(frames), 5)
    chk.ok(ok, f"the orphan is still delivered to: all {len(frames)} packets",
           f"rx {rx0} -> {st.get(f'nf{nf_id}_rx')}")
    refused(chk, core.sock, adopt_hello(nf_id, TOKEN ^ 1), "adopting with a wrong token",
            "ENOENT")
    refused(chk, core.sock, adopt_hello(nf_id + 7), "adopting an instance that has no lease",
            "ENOENT")
    second = RawNf(core.sock, ROLE, hello=adopt_hello(nf_id))
    env.add_cleanup(second.close)
    chk.eq(second.nf_id, nf_id, "the adoption gets the same instance id")
    chk.eq(bytes(second.priv[MARK_OFF:MARK_OFF + 8]), mark,
           "... and the same private region (our marker reads back)")
    chk.eq(second.queues[0][0], rx_off, "... with the same rings")
    chk.eq(second.rx.count(), len(frames), "... holding the packets delivered to the orphan")
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_orphaned") == 0, 5)
    chk.ok(ok, "adopted: nf<I>_orphaned back to 0")
    first.close()
    second = adopt_at_restart(chk, core, second, nf_id)
    env.add_cleanup(second.close)

    chk.section("detach: NVM_MSG_DETACH ends the lease at once")
    t0 = time.monotonic()
    second.sock.sendall(struct.pack("<q", MSG_DETACH))
    ok, st = core.tel.wait_for(lambda s: f"nf{nf_id}_role" not in s and whole(s), LEASE_S)
    chk.ok(ok, f"the instance is gone and every buffer back before its lease "
           f"({LEASE_S} s) could have expired", f"free {st.get('pool0_free')} of "
           f"{st.get('pool0_total')} after {time.monotonic() - t0:.1f} s")
    chk.eq(wait_events(core, nf_id, mark2, 6),
           ["attached", "orphaned", "adopted", "orphaned", "adopted", "detached"],
           f"the core's log for nf {nf_id}: detached by the message, never expired")
    second.close()

    chk.section(f"expiry: an orphan nobody adopts is detached after core.lease_s ({LEASE_S} s)")
    mark3 = log_mark(core)
    third = RawNf(core.sock, ROLE, hello=lease_hello(token=TOKEN + 1))
    env.add_cleanup(third.close)
    third.set_state(NF_RUNNING)
    nf3 = third.nf_id
    ok, _ = core.tel.wait_for(lambda s: s.get(f"nf{nf3}_live") == 1, 5)
    chk.ok(ok, "a third leased instance is live")
    send_drained(core, inj, frames, "third", chk)
    chk.eq(len(third.receive(len(frames), timeout=5)), len(frames),
           "it receives (and holds) every packet sent")
    t0 = time.monotonic()
    third.sock.close()
    third.sock = None
    ok, st = core.tel.wait_for(lambda s: f"nf{nf3}_role" not in s,
                               LEASE_S + EXPIRY_LATE_S + 10)
    gone = time.monotonic() - t0
    chk.ok(ok, "the orphan is detached in the end", f"after {gone:.1f} s")
    chk.ok(LEASE_S - 0.5 <= gone <= LEASE_S + EXPIRY_LATE_S,
           f"not before its lease ran out, nor much later: {gone:.1f} s after its socket "
           f"closed (lease {LEASE_S} s, allowed up to {LEASE_S + EXPIRY_LATE_S} s)")
    ok, st = core.tel.wait_for(whole, 10)
    chk.ok(ok, "its buffers are all reclaimed (pool0_free == pool0_total)",
           f"free {st.get('pool0_free')} of {st.get('pool0_total')}")
    chk.eq(wait_events(core, nf3, mark3, 4), ["attached", "orphaned", "expired", "detached"],
           f"the core's log for nf {nf3}: orphaned, lease expired, then detached")
    refused(chk, core.sock, adopt_hello(nf3, TOKEN + 1), "adopting an expired lease", "ENOENT")
    third.close()
    chk.ok(core.alive(), "the core is alive")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(core.sock)
        s.sendall(struct.pack("<4q", LEASE_MAGIC, ABI_VERSION, ROLE, 1))  # no token: cut off
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
