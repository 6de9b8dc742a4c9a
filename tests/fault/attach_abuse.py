#!/usr/bin/env python3
"""attach_abuse: a peer on the attach socket that breaks the framing cannot stall or drain the core.

The attach protocol (docs/abi.md) is one little-endian int64 per message,
with at most one descriptor. Here peers send part of a message and go
silent, or attach several descriptors to one message:

  stall     3 bytes of a hello, then nothing: the core drops that connection
            by its hello deadline and the next NF attaches
  attached  an attached NF sends 3 bytes on its socket and goes silent: it is
            detached, the next NF attaches
  fds       hellos whose every message carries two descriptors are refused
            and the core keeps none of them: its count of open descriptors
            is the same before and after 20 such connections
  instances 16 NFs of one role attach, a 17th is refused with ENOSPC (the
            core serves 16 instances of a role), one of another role still
            attaches, and right after one of the 16 closes another one
            attaches (the core takes a close before it counts)
  restart   with the core stopped, a 17th NF sends its hello and then the
            16 close: the core, running again, reads the hello first and
            still attaches it

Expected values come from the test (what it sent, what it counted in
/proc), never from the code under test.
"""

import errno
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, rawnf  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core  # noqa: E402
from nvtest.rawnf import ABI_VERSION, HELLO_MAGIC, RawNf  # noqa: E402

ROLE = 1
CONFIG = f"""core = {{
  pool_buffers = 1024;
  ring_size = 256;
}};
rules = ( {{ in_port = 0; role = {ROLE}; }} );
default = {{ action = "drop"; }};
"""
HELLO_DEADLINE_S = 2  # the core's per-hello deadline (core/attach.c)
ATTACH_WAIT_S = HELLO_DEADLINE_S + 8  # a stalled peer may hold the core that long, no more
FD_ROUNDS = 20
MAX_INSTANCES = 16  # NFs of one role the core serves (docs/abi.md §3)
OTHER_ROLE = 2


def open_fds(pid):
    """Descriptors process @pid holds now."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def closed_by_peer(sock, timeout):
    """True when the core closes @sock (EOF or reset, after any error message) within @timeout."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(64)
            if not data:
                return True
    except socket.timeout:
        return False
    except OSError:  # reset: it closed with our bytes unread
        return True


def attaches(chk, core, what):
    """Attach a raw NF, as the next client after an abusive one; True when it worked."""
    try:
        nf = RawNf(core.sock, ROLE, timeout=ATTACH_WAIT_S)
    except (rawnf.AttachError, OSError) as exc:
        return chk.ok(False, what, f"{type(exc).__name__}: {exc}")
    nf.close()
    return chk.ok(True, what)


def instances_section(env, chk, core):
    """The core serves at most MAX_INSTANCES NFs of one role: one more is refused, not ignored."""
    chk.section(f"instances: a role's {MAX_INSTANCES + 1}th NF")
    many = []
    for _ in range(MAX_INSTANCES):
        try:
            many.append(RawNf(core.sock, OTHER_ROLE))
        except (rawnf.AttachError, OSError) as exc:
            chk.fatal(f"{MAX_INSTANCES} raw NFs of role {OTHER_ROLE} attach", str(exc))
        env.add_cleanup(many[-1].close)
    chk.ok(True, f"{MAX_INSTANCES} raw NFs of role {OTHER_ROLE} attach")
    try:
        RawNf(core.sock, OTHER_ROLE).close()
        chk.ok(False, f"NF {MAX_INSTANCES + 1} of role {OTHER_ROLE} is refused", "it attached")
    except rawnf.AttachError as exc:
        chk.ok(f"NVM_MSG_ERROR -{errno.ENOSPC} " in str(exc),
               f"NF {MAX_INSTANCES + 1} of role {OTHER_ROLE} is refused with ENOSPC", str(exc))
    line = f"refused: {MAX_INSTANCES} instances of role {OTHER_ROLE} attached already"
    ok, _ = core.tel.wait_for(lambda s: line in core.stderr(), 5)
    chk.ok(ok, "the core says why", core.tail())
    attaches(chk, core, f"an NF of role {ROLE} still attaches (the limit is per role)")
    gone = many.pop()
    gone.close()
    # at once: the core takes the close before it counts the role's NFs
    try:
        many.append(RawNf(core.sock, OTHER_ROLE))
        err = ""
    except (rawnf.AttachError, OSError) as exc:
        err = str(exc)
    chk.ok(err == "", f"right after one of them closed, another NF of role {OTHER_ROLE} "
           "attaches", err)
    for nf in many:
        nf.close()


def restart_section(env, chk, core):
    """A hello the core reads before the closes that make room for it is served, not refused."""
    chk.section(f"restart: a hello sent while the core is stopped, then {MAX_INSTANCES} closes")
    many = []
    for _ in range(MAX_INSTANCES):
        try:
            many.append(RawNf(core.sock, OTHER_ROLE))
        except (rawnf.AttachError, OSError) as exc:
            chk.fatal(f"{MAX_INSTANCES} raw NFs of role {OTHER_ROLE} attach", str(exc))
        env.add_cleanup(many[-1].close)
    # stopped, the core sees the new hello and the closes at once when it
    # runs again, the hello first (it came first): the closes must count
    with core.paused() as stopped:
        chk.ok(stopped, "the core is stopped (every thread)")
        pending = rawnf.PendingAttach(core.sock, OTHER_ROLE, timeout=ATTACH_WAIT_S)
        chk.ok(pending.sent.wait(10), "the new NF's hello is sent while the core is stopped")
        for nf in many:
            nf.close()
    nf, err = pending.wait(ATTACH_WAIT_S + 5)
    chk.ok(nf is not None, f"the core, running again, attaches it in the place of the "
           f"{MAX_INSTANCES} that closed", err)
    if nf is not None:
        nf.close()


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("attach_abuse", 120, __doc__)
    chk = check.Checker("attach_abuse")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN])
    core = Core(env, "ab", CONFIG, ["net_null0", "net_null1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)

    chk.section("stall: part of a hello, then silence")
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    env.add_cleanup(stalled.close)
    stalled.connect(core.sock)
    stalled.sendall(struct.pack("<q", HELLO_MAGIC)[:3])
    attaches(chk, core, "an NF attaches after a peer that sent 3 bytes and stopped")
    chk.ok(closed_by_peer(stalled, ATTACH_WAIT_S),
           f"the core closed the stalled connection (hello deadline {HELLO_DEADLINE_S} s)")
    stalled.close()

    chk.section("attached: an NF sends part of a message on its socket")
    try:
        bad = RawNf(core.sock, ROLE)
    except (rawnf.AttachError, OSError) as exc:
        chk.fatal("a raw NF attaches", str(exc))
    env.add_cleanup(bad.close)
    bad.sock.sendall(b"\x01\x02\x03")
    attaches(chk, core, "the next NF attaches while the first one stays silent mid-message")
    ok, st = core.tel.wait_for(lambda s: f"nf{bad.nf_id}_role" not in s, 5)
    chk.ok(ok, f"the NF that broke the framing (nf {bad.nf_id}) is detached")
    bad.close()

    chk.section(f"fds: {FD_ROUNDS} hellos with two descriptors on every message")
    core.stats()  # the telemetry connection is open in both counts
    before = open_fds(core.pid)
    extra = os.open("/dev/null", os.O_RDONLY)
    env.add_cleanup(lambda: os.close(extra))
    refused = 0
    for _ in range(FD_ROUNDS):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(core.sock)
            try:
                for v in (HELLO_MAGIC, ABI_VERSION, ROLE, 1):
                    socket.send_fds(s, [struct.pack("<q", v)], [extra, extra])
            except OSError:
                pass  # refused at the first message: the core closed already
            refused += closed_by_peer(s, ATTACH_WAIT_S)
    chk.eq(refused, FD_ROUNDS, "every such hello is refused (connection closed)")
    core.stats()
    after = open_fds(core.pid)
    chk.eq(after, before, f"the core holds as many descriptors as before "
           f"({2 * 4 * FD_ROUNDS} were sent to it)")

    attaches(chk, core, "an NF still attaches")
    instances_section(env, chk, core)
    restart_section(env, chk, core)
    chk.ok(core.alive(), "the core is alive")
    core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
