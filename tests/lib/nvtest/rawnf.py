"""A raw NF: attaches with the protocol of netvm_abi.h and drives the rings by hand.

It does what netlib does, without netlib, so a test can write any descriptor
(good or garbage) into its NF->core ring. Layout constants mirror
netlib/include/netvm_abi.h; the self-test checks them against the header.
"""

import mmap
import os
import socket
import struct
import threading
import time

HELLO_MAGIC = 0x4e564d48454c4c
LEASE_MAGIC = 0x4e564d4c454153
ADOPT_MAGIC = 0x4e564d41444f50
ABI_VERSION = 2
MSG_POOL = -2
MSG_ERROR = -3
MSG_DETACH = -4
POOL_MAGIC = 0x4e564d50
PRIV_MAGIC = 0x4e564d52
CACHE_LINE = 64
MAX_QUEUES = 8
MAX_PORTS = 32

ACT_DROP, ACT_OUT, ACT_TO_ROLE, ACT_NEXT, ACT_MAX = 0, 1, 2, 3, 4
TO_ROLE_MAX = 32  # NVM_TO_ROLE_MAX: TO_ROLE hand-overs one packet may take
NF_ATTACHING, NF_RUNNING, NF_STOPPING = 0, 1, 2

DESC = struct.Struct("<IHHBBHI")          # buf, data_off, len, action, port, arg, hash
RING_PROD, RING_CONS, RING_SIZE, RING_MASK, RING_SLOTS = 0, 64, 128, 132, 192
POOL_HDR = struct.Struct("<IIQQIIIIII")   # magic .. nb_ports; port table follows at 48
POOL_PORTS_OFF = 48
POOL_HDR_SIZE = 5 * CACHE_LINE
PRIV_HDR = struct.Struct("<IIQIHHIIIIQQI")  # magic .. pool_id, ctl_size, ctl_off,
                                            # stats_off, stats_slots
PRIV_QUEUES_OFF = 64
QUEUE_DESC = struct.Struct("<QQQQ")       # rx_off, tx_off, alloc_off, pad
PRIV_NF_STATE_OFF = PRIV_QUEUES_OFF + 32 * MAX_QUEUES
PRIV_SLEEPING_OFF = PRIV_NF_STATE_OFF + 4
PRIV_HDR_SIZE = 2 * CACHE_LINE + 32 * MAX_QUEUES

assert DESC.size == 16


class AttachError(Exception):
    """The core refused the attach or broke the protocol."""


class Desc:
    """A descriptor, as in struct nvm_desc."""

    __slots__ = ("buf", "data_off", "len", "action", "port", "arg", "hash")

    def __init__(self, buf=0, data_off=0, len=0, action=0, port=0, arg=0, hash=0):
        self.buf, self.data_off, self.len = buf, data_off, len
        self.action, self.port, self.arg, self.hash = action, port, arg, hash

    def pack(self):
        return DESC.pack(self.buf & 0xffffffff, self.data_off & 0xffff, self.len & 0xffff,
                         self.action & 0xff, self.port & 0xff, self.arg & 0xffff,
                         self.hash & 0xffffffff)

    @classmethod
    def unpack(cls, data, off=0):
        return cls(*DESC.unpack_from(data, off))

    def copy(self, **kw):
        d = Desc(self.buf, self.data_off, self.len, self.action, self.port, self.arg, self.hash)
        for k, v in kw.items():
            setattr(d, k, v)
        return d

    def __repr__(self):
        return (f"Desc(buf={self.buf}, off={self.data_off}, len={self.len}, "
                f"act={self.action}, port={self.port}, arg={self.arg})")


class Ring:
    """One SPSC ring inside the private region mapping.

    Indexes go through a uint32 memoryview: one 4-byte load or store each.
    (struct.pack_into clears the field before writing it, so the peer could
    see a transient 0: an impossible index.)"""

    def __init__(self, mm, u32, off):
        self.mm = mm
        self.u32 = u32
        self.off = off
        self.size = self._u32(RING_SIZE)
        self.mask = self._u32(RING_MASK)

    def _u32(self, field):
        return self.u32[(self.off + field) // 4]

    def _set_u32(self, field, val):
        self.u32[(self.off + field) // 4] = val & 0xffffffff

    @property
    def prod(self):
        return self._u32(RING_PROD)

    @prod.setter
    def prod(self, val):
        self._set_u32(RING_PROD, val)

    @property
    def cons(self):
        return self._u32(RING_CONS)

    @cons.setter
    def cons(self, val):
        self._set_u32(RING_CONS, val)

    def count(self):
        """Slots filled, as the free-running indexes say."""
        return (self.prod - self.cons) & 0xffffffff

    def slot(self, idx):
        """The descriptor in the slot of free-running index @idx."""
        return Desc.unpack(self.mm, self.off + RING_SLOTS + (idx & self.mask) * DESC.size)

    def put_slot(self, idx, desc):
        off = self.off + RING_SLOTS + (idx & self.mask) * DESC.size
        self.mm[off:off + DESC.size] = desc.pack()

    def dequeue(self, n):
        """Consumer side: take up to @n descriptors and publish cons."""
        cons = self.cons
        avail = min((self.prod - cons) & 0xffffffff, n)
        out = [self.slot(cons + i) for i in range(avail)]
        self.cons = cons + avail
        return out

    def peek_all(self):
        """Consumer side: the descriptors in the ring, without taking them."""
        cons = self.cons
        return [self.slot(cons + i) for i in range((self.prod - cons) & 0xffffffff)]

    def enqueue(self, descs):
        """Producer side: write @descs then publish prod; returns how many fit."""
        prod = self.prod
        room = self.size - ((prod - self.cons) & 0xffffffff)
        n = min(room, len(descs))
        for i in range(n):
            self.put_slot(prod + i, descs[i])
        self.prod = prod + n
        return n


class RawNf:
    """One attached instance; rings of queue 0 as .rx, .tx, .alloc."""

    def __init__(self, sock_path, role, nb_queues=1, timeout=5.0, magic=HELLO_MAGIC,
                 version=ABI_VERSION, hello=None, sent=None):
        """Attach as role @role. Raises AttachError (or OSError) and leaves nothing open.

        @magic and @version may be changed to send a bad hello; @hello, a list
        of int64, replaces the whole hello (a lease's or an adoption's). @sent,
        a threading.Event, is set once the hello is sent (the answer not yet read)."""
        self.magic = magic
        self.version = version
        self.hello = hello
        self.role = role
        self.fds = []
        self.priv = self.pool = None
        self.priv_u32 = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # connect() as netlib does: blocking, so that it waits (at most
        # @timeout, SO_SNDTIMEO) while the core's listen backlog is full,
        # where a socket with a Python time-out fails at once with EAGAIN
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                             struct.pack("ll", int(timeout), int(timeout % 1 * 1e6)))
        self.timeout = timeout
        self.sent = sent
        try:
            self._attach(sock_path, role, nb_queues)
        except Exception:
            self.close()
            raise

    def _attach(self, sock_path, role, nb_queues):
        self.sock.connect(sock_path)
        self.sock.settimeout(self.timeout)
        hello = self.hello or [self.magic, self.version, role, nb_queues]
        self.sock.sendall(struct.pack(f"<{len(hello)}q", *hello))
        if self.sent is not None:
            self.sent.set()
        self.proto_version, _ = self._msg()
        if self.proto_version == MSG_ERROR:
            err, _ = self._msg()
            raise AttachError(f"core answered NVM_MSG_ERROR {err} ({os.strerror(-err)})")
        if self.proto_version != 0:
            raise AttachError(f"protocol version {self.proto_version}, expected 0")
        self.nf_id, _ = self._msg()
        val, priv_fd = self._msg()
        if val != -1 or priv_fd is None:
            raise AttachError(f"expected -1 + private region fd, got {val} fd={priv_fd}")
        val, pool_fd = self._msg()
        if val != MSG_POOL or pool_fd is None:
            raise AttachError(f"expected NVM_MSG_POOL + pool fd, got {val} fd={pool_fd}")
        val, self.doorbell_fd = self._msg()
        if val != self.nf_id or self.doorbell_fd is None:
            raise AttachError(f"expected nf_id {self.nf_id} + eventfd, got {val} "
                              f"fd={self.doorbell_fd}")
        self.priv_fd, self.pool_fd = priv_fd, pool_fd
        self.priv = mmap.mmap(priv_fd, 0)
        self.pool = mmap.mmap(pool_fd, 0)
        self._read_headers()
        self.priv_u32 = memoryview(self.priv).cast("I")
        self.rx = Ring(self.priv, self.priv_u32, self.queues[0][0])
        self.tx = Ring(self.priv, self.priv_u32, self.queues[0][1])
        self.alloc = Ring(self.priv, self.priv_u32, self.queues[0][2])

    def _msg(self):
        """One int64 message and the fd that came with it (or None)."""
        data = b""
        fd = None
        while len(data) < 8:
            chunk, fds, _flags, _addr = socket.recv_fds(self.sock, 8 - len(data), 4)
            if not chunk:
                raise AttachError("core closed the attach socket")
            for f in fds:
                self.fds.append(f)
                fd = f if fd is None else fd
            data += chunk
        return struct.unpack("<q", data)[0], fd

    def _read_headers(self):
        (magic, version, self.priv_size, nf_id, self.hdr_role, self.nb_queues,
         self.ring_size, self.alloc_size, self.pool_id, self.ctl_size, self.ctl_off,
         self.stats_off, self.stats_slots) = PRIV_HDR.unpack_from(self.priv, 0)
        if magic != PRIV_MAGIC or version != ABI_VERSION:
            raise AttachError(f"private region magic {magic:#x} version {version}")
        if nf_id != self.nf_id:
            raise AttachError(f"private header nf_id {nf_id}, handshake said {self.nf_id}")
        self.queues = [QUEUE_DESC.unpack_from(self.priv, PRIV_QUEUES_OFF + 32 * q)[:3]
                       for q in range(self.nb_queues)]
        (magic, version, self.pool_size, self.bufs_off, self.buf_stride, self.buf_count,
         self.headroom, self.socket_id, pool_id, self.nb_ports) = \
            POOL_HDR.unpack_from(self.pool, 0)
        if magic != POOL_MAGIC or version != ABI_VERSION:
            raise AttachError(f"pool region magic {magic:#x} version {version}")
        self.port_macs = {}
        for p in range(min(self.nb_ports, MAX_PORTS)):
            mac = self.pool[POOL_PORTS_OFF + 8 * p:POOL_PORTS_OFF + 8 * p + 6]
            self.port_macs[p] = ":".join(f"{b:02x}" for b in mac)

    def set_state(self, state):
        """Write nf_state (enum nvm_nf_state) and clear 'sleeping' (we poll)."""
        self.priv_u32[PRIV_SLEEPING_OFF // 4] = 0
        self.priv_u32[PRIV_NF_STATE_OFF // 4] = state

    def packet(self, desc):
        """The bytes of the packet @desc points to (bounds not checked beyond the pool)."""
        start = self.bufs_off + desc.buf * self.buf_stride + desc.data_off
        return bytes(self.pool[start:start + desc.len])

    def write_packet(self, desc, offset, data):
        """Overwrite packet bytes in place, at @offset from its first byte."""
        start = self.bufs_off + desc.buf * self.buf_stride + desc.data_off + offset
        self.pool[start:start + len(data)] = data

    def receive(self, n, timeout=5.0):
        """Take @n descriptors from the rx ring; fewer if they do not come in time."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            more = self.rx.dequeue(n - len(got))
            got += more
            if not more:
                time.sleep(0.01)
        return got

    def send(self, descs, timeout=5.0):
        """Enqueue @descs on the tx ring and wait until the core consumed them; True if it did."""
        if self.tx.enqueue(descs) != len(descs):
            return False
        target = self.tx.prod
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.tx.cons == target:
                return True
            time.sleep(0.01)
        return False

    def close(self):
        """Close the socket (the core must reclaim our buffers) and unmap."""
        u32 = getattr(self, "priv_u32", None)
        if u32 is not None:
            u32.release()
            self.priv_u32 = None
        for attr in ("priv", "pool"):
            m = getattr(self, attr, None)
            if m is not None:
                try:
                    m.close()
                except BufferError:
                    pass
                setattr(self, attr, None)
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


class PendingAttach:
    """A RawNf attaching in a thread of its own, to be sent while the core is
    stopped: .sent is set once its hello is sent (or the attach failed);
    wait() gives the outcome."""

    def __init__(self, sock_path, role, **kwargs):
        self.sent = threading.Event()
        self.nf, self.err = None, None

        def run():
            try:
                self.nf = RawNf(sock_path, role, sent=self.sent, **kwargs)
            except (AttachError, OSError) as exc:
                self.err = f"{type(exc).__name__}: {exc}"
            self.sent.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def wait(self, timeout):
        """(the RawNf or None, why not: "" when attached) within @timeout s."""
        self.thread.join(timeout)
        if self.nf is not None:
            return self.nf, ""
        return None, self.err or f"no answer within {timeout} s"


def attach_running(env, chk, sock_path, role):
    """Attach a raw NF for @role at @sock_path, closed at @env's cleanup, in state RUNNING.

    Ends the test through @chk.fatal when the core refuses or cannot be reached."""
    try:
        raw = RawNf(sock_path, role)
    except (AttachError, OSError) as exc:
        chk.fatal("raw NF attaches", str(exc))
    env.add_cleanup(raw.close)
    raw.set_state(NF_RUNNING)
    return raw


def take_until(core, takers, cond, timeout=20.0):
    """Let each of @takers (objects whose take() consumes a raw NF's rings)
    take, every 20 ms, until cond(core stats) holds; (ok, last stats)."""
    deadline = time.monotonic() + timeout
    st = {}
    while time.monotonic() < deadline:
        for t in takers:
            t.take()
        st = core.stats()
        if st and cond(st):
            return True, st
        time.sleep(0.02)
    return False, st
