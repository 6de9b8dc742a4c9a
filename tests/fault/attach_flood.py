#!/usr/bin/env python3
"""attach_flood: clients that say nothing, dribble, or attach extra descriptors.

The attach socket is served by one control thread, which also detaches NFs
and expires leases (docs/abi.md, 3; docs/core.md, "Counters"). Bad clients
must not hold it, nor make the core keep their descriptors:

  flood     per round, 200 connections that send nothing and 200 that send
            one byte are opened, then a good raw NF attaches: its attach time
            (connect to regions received, median of ROUNDS) may exceed the
            same NF's with no bad connection by at most 100 ms; while they
            are open the core holds at most 32 of them (CTL_MAX_PENDING,
            docs/abi.md), plus the newcomer it accepts before closing the
            oldest, in /proc/PID/fd; once they are all closed, every one
            is counted once in attach_overflow + attach_timeouts +
            attach_broken
  fds       hellos whose first message carries 2, 3 or 8 descriptors: the
            core's open descriptors come back to what they were
  stop      SIGINT with 100 silent and one-byte connections open: the core
            exits 0 with every buffer back (Core.stop_checked)

Expected values come from the test (what it opened and sent).
"""

import array
import os
import socket
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import ABI_VERSION, HELLO_MAGIC, RawNf  # noqa: E402
from nvtest.telemetry import nf_ids  # noqa: E402

ROLE = 1
ROUNDS = 5
SILENT = 200
ONE_BYTE = 200
MAX_DELAY_S = 0.100   # the property: bad connections cost a good NF at most this
MAX_PENDING = 32      # docs/abi.md: hellos the core waits for at once
CONNECT_TIMEOUT_S = 5.0
FDS_BUDGET_S = 30     # the fds section takes well under 1 s with a core that serves its socket
CONFIG = """core = {
  pool_buffers = 4096;
  ring_size = 256;
};
default = { action = "drop"; };
"""
REFUSAL_COUNTERS = ("attach_overflow", "attach_timeouts", "attach_broken")


def core_fds(core):
    """Descriptors the core process holds now."""
    return len(os.listdir(f"/proc/{core.pid}/fd"))


def wait_for(pred, timeout):
    """Poll @pred until true or @timeout s; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        val = pred()
        if val or time.monotonic() >= deadline:
            return val
        time.sleep(0.05)


def connect(path, timeout=CONNECT_TIMEOUT_S):
    """A blocking connection to @path; the connect waits at most @timeout s
    for the core to accept (a unix socket's connect waits for room in the
    backlog as long as SO_SNDTIMEO says)."""
    if timeout <= 0:
        raise TimeoutError("no time left")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                 struct.pack("ll", int(timeout), int(timeout % 1 * 1e6)))
    try:
        s.connect(path)
    except OSError:
        s.close()
        raise
    return s


def bad_connections(path, silent, one_byte):
    """Open @silent connections that send nothing and @one_byte that send one
    byte, all within CONNECT_TIMEOUT_S (a core serving its socket accepts them
    in milliseconds). Returns (sockets, None), or (sockets so far, why) when
    the core stopped accepting them."""
    socks = []
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    for i in range(silent + one_byte):
        try:
            s = connect(path, deadline - time.monotonic())
        except OSError as exc:
            return socks, (f"connection {i + 1} not accepted within {CONNECT_TIMEOUT_S:.0f} s "
                           f"of the first: {exc}")
        socks.append(s)
        if i >= silent:
            s.send(b"\x4c")
    return socks, None


def close_all(socks):
    for s in socks:
        s.close()


def timed_attach(core):
    """Seconds a good raw NF takes from connect to its regions; None if refused."""
    t0 = time.monotonic()
    try:
        raw = RawNf(core.sock, ROLE)
    except Exception as exc:  # noqa: BLE001 - any failure is reported
        print(f"  good NF failed to attach: {exc}", flush=True)
        return None
    took = time.monotonic() - t0
    raw.close()
    return took


def refusals(core):
    st = core.stats()
    return sum(st.get(k, 0) for k in REFUSAL_COUNTERS)


def no_nf(core):
    return not nf_ids(core.stats())


def flood(chk, core):
    chk.section(f"flood: {SILENT} silent + {ONE_BYTE} one-byte connections per round")
    base = []
    for _ in range(ROUNDS):
        base.append(timed_attach(core))
    if not chk.ok(None not in base, "a good NF attaches with no bad connection", str(base)):
        return
    chk.ok(wait_for(lambda: no_nf(core), 10), "the good NFs are detached")
    fds0 = core_fds(core)
    refused0 = refusals(core)
    loaded, most_fds, opened = [], 0, 0
    for _ in range(ROUNDS):
        socks, why = bad_connections(core.sock, SILENT, ONE_BYTE)
        opened += len(socks)
        if not chk.ok(why is None, "the core accepts every bad connection", why or ""):
            close_all(socks)
            return
        most_fds = max(most_fds, core_fds(core))
        loaded.append(timed_attach(core))
        close_all(socks)
        if loaded[-1] is None:
            break
    if not chk.ok(None not in loaded, "a good NF attaches with the bad connections open",
                  str(loaded)):
        return
    b, l_ = statistics.median(base), statistics.median(loaded)
    print(f"  attach time, median of {ROUNDS}: {b * 1e3:.2f} ms alone, {l_ * 1e3:.2f} ms "
          f"with {SILENT + ONE_BYTE} bad connections (each: "
          f"{', '.join(f'{x * 1e3:.2f}' for x in loaded)} ms)", flush=True)
    chk.ok(l_ - b <= MAX_DELAY_S, f"bad connections delay the attach by at most "
           f"{MAX_DELAY_S * 1e3:.0f} ms", f"{(l_ - b) * 1e3:.1f} ms")
    # + 1: a newcomer is accepted before the oldest pending one is closed
    chk.ok(most_fds - fds0 <= MAX_PENDING + 1,
           f"the core holds at most {MAX_PENDING} of them (+ the one being accepted)",
           f"{most_fds - fds0} more descriptors than with none")
    chk.ok(wait_for(lambda: refusals(core) - refused0 >= opened, 10),
           f"every one of the {opened} bad connections is counted", str(
               {k: core.stats().get(k) for k in REFUSAL_COUNTERS}))
    chk.eq(refusals(core) - refused0, opened, "each one once")
    chk.gt(core.stats().get("attach_overflow", 0), 0, "the full table closed the oldest "
           "(attach_overflow)")


def send_with_fds(s, values, nfds):
    """Send int64 @values, the first with @nfds descriptors of /dev/null."""
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(nfds)]
    try:
        s.sendmsg([struct.pack("<q", values[0])],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    finally:
        for fd in fds:
            os.close(fd)
    s.sendall(struct.pack(f"<{len(values) - 1}q", *values[1:]))


def extra_fds(chk, core):
    chk.section("fds: hellos carrying extra descriptors")
    chk.ok(wait_for(lambda: no_nf(core), 10), "no NF attached")
    fds0 = core_fds(core)
    sent = 0
    deadline = time.monotonic() + FDS_BUDGET_S
    for nfds in (2, 3, 8):
        for _ in range(100):
            try:
                s = connect(core.sock, deadline - time.monotonic())
            except OSError as exc:
                chk.ok(False, f"the core answers 300 hellos within {FDS_BUDGET_S} s", str(exc))
                return
            s.settimeout(CONNECT_TIMEOUT_S)
            sent += nfds
            try:
                send_with_fds(s, [HELLO_MAGIC, ABI_VERSION, ROLE, 1], nfds)
                while s.recv(4096):  # until the core closes (or times out)
                    pass
            except OSError:
                pass
            s.close()
    chk.ok(wait_for(lambda: no_nf(core), 10), "no NF left attached")
    back = wait_for(lambda: core_fds(core) <= fds0, 10)
    chk.ok(back, f"after {sent} descriptors sent with hellos the core holds as many "
           f"as before ({fds0})", f"it holds {core_fds(core)}")
    chk.ok(timed_attach(core) is not None, "a good NF still attaches")


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("attach_flood", 150, __doc__)
    chk = check.Checker("attach_flood")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])
    core = Core(env, "af", CONFIG, ["net_null0,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    flood(chk, core)
    extra_fds(chk, core)

    chk.section("stop: SIGINT with bad connections open")
    socks, why = bad_connections(core.sock, 50, 50)
    chk.ok(why is None, "100 bad connections open", why or "")
    t0 = time.monotonic()
    core.stop_checked(chk, timeout=15)
    print(f"  the core stopped {time.monotonic() - t0:.2f} s after SIGINT", flush=True)
    close_all(socks)
    env.done(chk)


if __name__ == "__main__":
    main()
