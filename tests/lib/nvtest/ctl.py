"""The NF control channel from a test's side (docs/abi.md section 6).

netvmctl(): run `netvmctl` and get (exit status, stdout, stderr).
core_request(): speak the core's command socket protocol directly, with
any bytes, for tests of what the core does with bad requests.
RawChannel: the NF's end of a raw NF's pipes (nvtest.rawnf), to answer
like an NF -- or to lie like one.
"""

import socket
import struct
import subprocess

CTL_MAGIC = 0x434D564E          # "NVMC"
CTL_MAX_LEN = 16 << 20
PIPE_PROD, PIPE_CONS, PIPE_DATA = 0, 64, 192
STATS_SLOTS = 64                # offset of the slots in struct nvm_stats
CTL_HDR = struct.Struct("<IIiI")  # magic, seq, status, len


def netvmctl(env, args, data=None, timeout=60):
    """Run netvmctl with @args (a list); @data goes to its stdin. (rc, out, err)."""
    r = subprocess.run([env.binary("manager/netvmctl")] + list(args), input=data,
                       capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def core_request(core_sock, raw, timeout=15, shut=False):
    """Send @raw (bytes) to the command socket of the core at @core_sock
    (then, with @shut, shut the socket for writing).

    Returns (status, text) from its "STATUS LEN\\n" answer, or (None, what came)
    if the answer does not have that shape."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(core_sock + ".ctl")
        s.sendall(raw)
        if shut:
            s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    head, _, text = got.partition(b"\n")
    try:
        status, length = (int(x) for x in head.split())
    except ValueError:
        return None, got
    if length != len(text):
        return None, got
    return status, text.decode(errors="replace")


class RawChannel:
    """The NF's ends of raw NF @raw's control pipes, driven by hand.

    Indexes go through the raw NF's uint32 view of its region, one 4-byte
    load or store each: struct.pack_into clears a field before writing it,
    and the core reading the transient 0 would take it for an impossible
    index and close the channel."""

    def __init__(self, raw):
        self.m = raw.priv
        self.u32 = raw.priv_u32
        self.size = raw.ctl_size
        self.req = raw.ctl_off
        self.ans = raw.ctl_off + PIPE_DATA + raw.ctl_size
        self.rpos = self._u32(self.req + PIPE_CONS)
        self.wpos = self._u32(self.ans + PIPE_PROD)

    def _u32(self, off):
        return self.u32[off // 4]

    def _set_u32(self, off, val):
        self.u32[off // 4] = val & 0xffffffff

    def pending(self):
        """Bytes the core has written into the request pipe and we have not read."""
        return (self._u32(self.req + PIPE_PROD) - self.rpos) & 0xffffffff

    def read(self, n):
        """Take @n bytes from the request pipe (they must be there)."""
        out = b""
        for _ in range(n):
            out += bytes([self.m[self.req + PIPE_DATA + (self.rpos % self.size)]])
            self.rpos = (self.rpos + 1) & 0xffffffff
        self._set_u32(self.req + PIPE_CONS, self.rpos)
        return out

    def read_request(self):
        """A whole request, if one is there: (seq, text bytes), else None."""
        if self.pending() < CTL_HDR.size:
            return None
        magic, seq, _status, length = CTL_HDR.unpack(self.read(CTL_HDR.size))
        assert magic == CTL_MAGIC, f"request magic {magic:#x}"
        return seq, self.read(length)

    def write(self, data):
        """Put @data into the answer pipe (the core must read as we go: small data)."""
        for b in data:
            self.m[self.ans + PIPE_DATA + (self.wpos % self.size)] = b
            self.wpos = (self.wpos + 1) & 0xffffffff
        self._set_u32(self.ans + PIPE_PROD, self.wpos)

    def answer(self, seq, status, text, magic=CTL_MAGIC):
        self.write(CTL_HDR.pack(magic, seq, status, len(text)) + text)

    def corrupt_answer_index(self):
        """Claim more answer bytes than the pipe holds."""
        self._set_u32(self.ans + PIPE_PROD, self.wpos + 2 * self.size)
