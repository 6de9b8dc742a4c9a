#!/usr/bin/env python3
"""lease: an NF joins the datapath only once it runs; a manager's lease outlives its connection.

The raw NF of tests/lib/nvtest/rawnf.py speaks the attach protocol the way
netvm-manager does (docs/abi.md, 3 and 3.1). Port 0 replays a pcap endlessly,
every packet to role 1; port 1 is a net_null sink.

  join      an instance that has not written nf_state = running gets nothing
            (nf<I>_live 0, its rx ring stays empty, the packets are dropped
            as no_instance); once it writes it, it is live and receives
  lease     a lease with token 0 is refused; a lease whose socket closes
            without NVM_MSG_DETACH is orphaned (nf<I>_orphaned 1) and still
            delivered to; an adopt with a wrong token, or of a lease still
            held, is refused; the right token gets the same regions (a byte
            written through the first mapping is read through the second)
  detach    NVM_MSG_DETACH ends the lease at once: every buffer back
  expiry    an orphan nobody adopts is detached after core.lease_s, its
            buffers reclaimed

Expected values come from the test (what it wrote, what it sent), never from
the code under test.
"""

import errno
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import (ABI_VERSION, ADOPT_MAGIC, LEASE_MAGIC, MSG_DETACH,  # noqa: E402
                          NF_RUNNING, RawNf)

ROLE = 1
LEASE_S = 4
DETACH_S = 1  # NVM_MSG_DETACH must end the lease well before LEASE_S
EXPIRY_SLACK_S = 2  # past LEASE_S: the control thread's round (200 ms) and telemetry
TOKEN = 0x5eed_1234_abcd_0042
CONFIG = f"""core = {{
  pool_buffers = 4096;
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


def idle_free(core):
    """pool0_free with no NF attached while port 0 runs.

    net_pcap's infinite_rx keeps its copy of the pcap in buffers of the pool
    for as long as the port is up, and a receive burst may be in flight: the
    pool is whole only once the core stops. What an NF held is back when the
    free count is back to this figure (the most seen over a few samples).
    """
    return max(core.stats().get("pool0_free", 0) for _ in range(5))


def back_to(base):
    """Predicate: the pool has at least @base free buffers again."""
    return lambda st: st.get("pool0_free", -1) >= base


def drop_no_instance(core):
    return core.stats().get("drop_no_instance", 0)


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("lease", 60, __doc__)
    chk = check.Checker("lease")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])
    gen = traffic.simple_flows(5, ["10.1.0.0/16"], 64)
    flows = env.path("flows.pcap")
    pcaps.write(flows, [p.frame for p in gen])
    core = Core(env, "ls", CONFIG, [f"net_pcap0,rx_pcap={flows},infinite_rx=1",
                                    "net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    base = idle_free(core)
    chk.ok(0 < base <= 4096, f"with no NF attached {base} buffers are free (of 4096)")

    chk.section("join: no packets before the NF says it runs")
    raw = RawNf(core.sock, ROLE)
    env.add_cleanup(raw.close)
    st = core.stats()
    chk.eq(st.get(f"nf{raw.nf_id}_live"), 0, "attached, not live: nf<I>_live == 0")
    chk.eq(st.get("nfs_attached"), 0, "nfs_attached counts live instances only: 0")
    d0 = drop_no_instance(core)
    time.sleep(0.5)
    chk.ok(drop_no_instance(core) > d0, "packets for the role are dropped as no_instance",
           f"{d0} -> {drop_no_instance(core)}")
    chk.eq(raw.rx.count(), 0, "its rx ring stays empty")
    raw.set_state(NF_RUNNING)
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{raw.nf_id}_live") == 1, 2)
    chk.ok(ok, "after nf_state = running: live within 2 s")
    got = raw.receive(8, timeout=5)
    chk.eq(len(got), 8, "and it receives packets")
    raw.close()
    ok, st = core.tel.wait_for(back_to(base), 5)
    chk.ok(ok, f"closed: every buffer back (free back to {base})", f"free {st.get('pool0_free')}")

    chk.section("lease: orphaned, refused adoptions, adopted with the same regions")
    refused(chk, core.sock, lease_hello(token=0), "a lease with token 0", "EINVAL")
    first = RawNf(core.sock, ROLE, hello=lease_hello())
    first.set_state(NF_RUNNING)
    nf_id = first.nf_id
    ok, _ = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_live") == 1, 2)
    chk.ok(ok, "the leased instance is live")
    refused(chk, core.sock, adopt_hello(nf_id), "adopting a lease its holder still holds",
            "EBUSY")
    mark = os.urandom(8)
    first.priv[MARK_OFF:MARK_OFF + 8] = mark
    rx_off = first.queues[0][0]
    first.sock.close()  # the holder dies: no NVM_MSG_DETACH
    first.sock = None
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_orphaned") == 1, 2)
    chk.ok(ok and st.get(f"nf{nf_id}_live") == 1,
           "its socket closed without NVM_MSG_DETACH: orphaned, still live",
           f"orphaned {st.get(f'nf{nf_id}_orphaned')}, live {st.get(f'nf{nf_id}_live')}")
    rx0 = core.stats().get(f"nf{nf_id}_rx", 0)
    first.rx.dequeue(first.rx.size)  # make room: the core goes on delivering
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_rx", 0) > rx0, 2)
    chk.ok(ok, "the orphan is still delivered to", f"rx {rx0} -> {st.get(f'nf{nf_id}_rx')}")
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
    ok, st = core.tel.wait_for(lambda s: s.get(f"nf{nf_id}_orphaned") == 0, 2)
    chk.ok(ok, "adopted: nf<I>_orphaned back to 0")
    first.close()

    chk.section("detach: NVM_MSG_DETACH ends the lease at once")
    second.sock.sendall(struct.pack("<q", MSG_DETACH))
    ok, st = core.tel.wait_for(lambda s: f"nf{nf_id}_role" not in s and back_to(base)(s),
                               DETACH_S)
    chk.ok(ok, f"the instance is gone and every buffer back within {DETACH_S} s "
           f"(no {LEASE_S} s lease wait)",
           f"free {st.get('pool0_free')}, idle {base}")
    second.close()

    chk.section(f"expiry: an orphan nobody adopts is detached after core.lease_s ({LEASE_S} s)")
    third = RawNf(core.sock, ROLE, hello=lease_hello(token=TOKEN + 1))
    env.add_cleanup(third.close)
    third.set_state(NF_RUNNING)
    nf3 = third.nf_id
    core.tel.wait_for(lambda s: s.get(f"nf{nf3}_live") == 1, 2)
    third.receive(4, timeout=5)  # it holds buffers now
    t0 = time.monotonic()
    third.sock.close()
    third.sock = None
    ok, st = core.tel.wait_for(lambda s: f"nf{nf3}_role" not in s and back_to(base)(s),
                               LEASE_S + EXPIRY_SLACK_S + 3)
    gone = time.monotonic() - t0
    chk.ok(ok and LEASE_S - 0.5 <= gone <= LEASE_S + EXPIRY_SLACK_S,
           f"detached and reclaimed {gone:.1f} s after its socket closed (lease {LEASE_S} s)",
           f"free {st.get('pool0_free')}, idle {base}")
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
