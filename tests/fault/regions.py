#!/usr/bin/env python3
"""regions: a raw NF truncates, punches and scribbles on the regions it was given.

The raw NF (tests/lib/nvtest/rawnf.py) attaches as role 3 and holds the fds
of its private region and of the pool. Port 0 is a veth pair the test writes
frames into (nvtest.inject): dst 10.1/16 to a well-behaved bridge (role 1,
out of port 1, a net_null sink), dst 10.3/16 to the raw NF, which never
returns them. Fresh frames are sent at each check; they are not copies kept
in pool buffers (as net_pcap's infinite_rx keeps them), so a punched hole
cannot turn the test's own traffic into zeroes. The raw NF then, one step at
a time:

  1. truncates its private region (to 0, and larger): refused (EPERM, the
     memfd's size is sealed) -- before, the core died of SIGBUS;
  2. truncates the pool region the same way: refused likewise;
  3. writes random bytes over the pool header: a raw NF and a netlib NF
     attaching afterwards read the header the core wrote (magic, version,
     the configured buffer count and size);
  4. punches a hole over the pool's first hugepage (the header's page): the
     core lives on, forwards, and later NFs attach with the right header.

After every step the core must be alive and the bridge must forward every
frame sent to it (port1_tx grows by exactly that many); at the end every
buffer must be back in the pool.
"""

import ctypes
import errno
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, rawnf, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.inject import Injector, drained  # noqa: E402
from nvtest.proc import Nf, core_and_bridge  # noqa: E402
from nvtest.rawnf import NF_RUNNING, RawNf  # noqa: E402

RAW_ROLE = 3
POOL_BUFFERS = 4096
BUFFER_SIZE = 4096      # net_af_packet needs more than its 2048-byte frames
HUGEPAGE = 2 << 20      # the machine's hugepages (scripts/setup.sh reserves 2 MiB pages)
CONFIG = f"""core = {{
  pool_buffers = {POOL_BUFFERS};
  buffer_size = {BUFFER_SIZE};
  ring_size = 256;
}};
rules = (
  {{ dst = "10.1.0.0/16"; role = 1; }},
  {{ dst = "10.3.0.0/16"; role = 3; }}
);
default = {{ action = "drop"; }};
"""
FALLOC_FL_KEEP_SIZE = 1
FALLOC_FL_PUNCH_HOLE = 2


class Traffic:
    """The frames of one check: @n_bridge to the bridge, the rest to the raw NF."""

    def __init__(self, inj, seed):
        gen = traffic.simple_flows(seed, ["10.1.0.0/16", "10.3.0.0/16"], 32)
        self.inj = inj
        self.frames = [bytes(p.frame) for p in gen]
        self.n_bridge = sum(1 for p in gen if p.tuple5[1].startswith("10.1."))


def forwards(chk, core, tr, what):
    """Send a batch; port 0 takes it all and port1_tx grows by its bridge frames."""
    a = core.stats().get("port1_tx", 0)
    tr.inj.send(tr.frames)
    ok, st = core.tel.wait_for(drained(0, tr.inj.sent), timeout=10)
    if not chk.ok(core.alive() and ok, f"core alive and port 0 takes the frames {what}",
                  f"alive={core.alive()}, port0_rx {st.get('port0_rx')} of {tr.inj.sent}"):
        return False
    ok, st = core.tel.wait_for(lambda s: s.get("port1_tx", 0) >= a + tr.n_bridge, timeout=10)
    return chk.eq(st.get("port1_tx", 0) - a, tr.n_bridge,
                  f"the bridge forwards every frame sent to it {what}")


def header(raw):
    return {"magic": raw_magic(raw), "pool_size": raw.pool_size, "bufs_off": raw.bufs_off,
            "buf_stride": raw.buf_stride, "buf_count": raw.buf_count,
            "headroom": raw.headroom, "nb_ports": raw.nb_ports, "macs": raw.port_macs}


def raw_magic(raw):
    return int.from_bytes(raw.pool[0:4], "little")


def truncate_refused(chk, fd, what):
    """ftruncate(@fd) to twice its size, then to 0, must both fail with EPERM."""
    size = os.fstat(fd).st_size
    for new in (2 * size, 0):
        try:
            os.ftruncate(fd, new)
            chk.ok(False, f"ftruncate({what}, {new}) refused", "it succeeded")
        except OSError as exc:
            chk.eq(exc.errno, errno.EPERM, f"ftruncate({what}, {new}) refused with EPERM")
    chk.eq(os.fstat(fd).st_size, size, f"{what} keeps its size")


def attach_checked(chk, core, want, what):
    """A raw NF attaching now reads @want from the pool header."""
    try:
        raw = RawNf(core.sock, RAW_ROLE)
    except (rawnf.AttachError, OSError) as exc:
        chk.ok(False, f"a raw NF attaches {what}", str(exc))
        return
    got = header(raw)
    raw.close()
    chk.eq(got, want, f"a raw NF attaching {what} reads the core's pool header")


def netlib_attaches(chk, env, core, what):
    """A netlib NF (a second bridge) attaches and is listed, then stops."""
    nf = Nf(env, core, nvenv.BRIDGE_BIN, 1, name=f"bridge-{what.replace(' ', '-')}")
    err = nf.start_attached()
    chk.ok(err is None, f"a netlib NF attaches {what}", err or "")
    nf.stop(timeout=10)


def main():
    env = nvenv.setup("regions", timeout=170, description=__doc__)
    chk = check.Checker("regions")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])

    inj = Injector(env)
    tr = Traffic(inj, 21)
    core, bridge = core_and_bridge(env, chk, "r", CONFIG, [inj.vdev(0), "net_null0,no-rx=1"])
    try:
        raw = RawNf(core.sock, RAW_ROLE)
    except (rawnf.AttachError, OSError) as exc:
        chk.fatal("raw NF attaches", str(exc))
    env.add_cleanup(raw.close)
    raw.set_state(NF_RUNNING)
    want = header(raw)
    chk.eq((want["magic"], want["buf_count"], want["buf_stride"], want["nb_ports"]),
           (rawnf.POOL_MAGIC, POOL_BUFFERS, BUFFER_SIZE, 2),
           "pool header: magic, the configured buffers and size, 2 ports")
    forwards(chk, core, tr, "with the raw NF attached")

    chk.section("truncating the private region")
    truncate_refused(chk, raw.priv_fd, "private region")
    forwards(chk, core, tr, "after the private region's truncation")

    chk.section("truncating the pool region")
    truncate_refused(chk, raw.pool_fd, "pool region")
    forwards(chk, core, tr, "after the pool region's truncation")

    chk.section("random bytes over the pool header")
    raw.pool[0:rawnf.POOL_HDR_SIZE] = os.urandom(rawnf.POOL_HDR_SIZE)
    chk.ok(raw_magic(raw) != rawnf.POOL_MAGIC or header(raw) != want,
           "the header is overwritten in the raw NF's mapping")
    attach_checked(chk, core, want, "after the scribbling")
    raw.pool[0:rawnf.POOL_HDR_SIZE] = os.urandom(rawnf.POOL_HDR_SIZE)
    netlib_attaches(chk, env, core, "after scribbling")
    forwards(chk, core, tr, "after the scribbling")

    chk.section("a hole punched over the pool's first hugepage")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    r = libc.fallocate(raw.pool_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, HUGEPAGE)
    # Not preventable without F_SEAL_WRITE, which no NF could live with
    # (docs/abi.md section 5): the core must live through it.
    chk.ok(True, "punching a hole: " + ("done" if r == 0 else
                                        os.strerror(ctypes.get_errno())))
    forwards(chk, core, tr, "after the punched hole")
    attach_checked(chk, core, want, "after the punched hole")
    netlib_attaches(chk, env, core, "after punching")

    chk.section("shutdown")
    raw.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, timeout=10)
    chk.ok(ok, "the raw NF's attachment ends", f"nfs_attached={st.get('nfs_attached')}")
    core.stop_checked(chk)
    bridge.stop(timeout=10)
    env.done(chk)


if __name__ == "__main__":
    main()
