"""The pool and private regions an NF process maps, read and written through
/proc/PID/mem: how the re-attach tests stage a move to another core engine on
the host (docs/control.md: a parked NF whose private header no longer says
parked re-attaches, reading the pool header's port count and MACs anew).
"""

import struct

from .rawnf import ABI_VERSION, POOL_HDR, POOL_MAGIC, POOL_PORTS_OFF, PRIV_MAGIC

NB_PORTS_OFF = POOL_HDR.size - 4  # the last field of the pool header


class Regions:
    """The pool and private regions process @pid maps (None when not found)."""

    def __init__(self, pid):
        self.pid = pid
        self.pool = self.priv = None
        with open(f"/proc/{pid}/maps") as f:
            maps = f.read().splitlines()
        with open(f"/proc/{pid}/mem", "rb") as mem:
            for line in maps:
                addr, perms = line.split()[:2]
                if not perms.startswith("rw") or perms[3] != "s":
                    continue
                start = int(addr.split("-")[0], 16)
                try:
                    mem.seek(start)
                    magic, version = struct.unpack("<II", mem.read(8))
                except OSError:
                    continue
                if version != ABI_VERSION:
                    continue
                if magic == POOL_MAGIC:
                    self.pool = start
                elif magic == PRIV_MAGIC:
                    self.priv = start

    def write(self, addr, data):
        with open(f"/proc/{self.pid}/mem", "r+b", buffering=0) as mem:
            mem.seek(addr)
            mem.write(data)

    def read(self, addr, size):
        with open(f"/proc/{self.pid}/mem", "rb", buffering=0) as mem:
            mem.seek(addr)
            return mem.read(size)

    def write_u32(self, addr, value):
        self.write(addr, struct.pack("<I", value))

    def read_u32(self, addr):
        return struct.unpack("<I", self.read(addr, 4))[0]

    def port_mac_addr(self, port):
        """Address of port @port's MAC in the pool header."""
        return self.pool + POOL_PORTS_OFF + 8 * port
