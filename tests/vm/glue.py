#!/usr/bin/env python3
"""glue: run one VM whose NF is attached to the core engine, as the manager will.

What the glue does for a VM, in order:

  1. attaches to the core engine's socket ON BEHALF OF THE VM, exactly like a
     host NF (hello: NVM_HELLO_MAGIC, NVM_ABI_VERSION, role, queues), and
     receives the VM's instance id, its private region fd, the pool region fd
     and its doorbell eventfd (docs/abi.md, "Attach protocol"). The connection
     stays open while the VM lives: closing it makes the core take back every
     buffer the VM held;
  2. checks the pool region (a sealed hugetlb memfd, no file name) is a power
     of two in size;
  3. serves QEMU's ivshmem-doorbell chardev (ivshmem server protocol, QEMU
     docs/specs/ivshmem-spec): version 0, the VM's peer id (its instance id),
     -1 + the PRIVATE region fd, then the VM's id + the DOORBELL eventfd as its
     vector 0, so a core write to the eventfd is an MSI-X interrupt in the guest;
  4. boots QEMU with scripts/build-guest.sh's image, the pool as ivshmem-plain
     (QEMU inherits the pool fd N: memory-backend-file,
     mem-path=/proc/self/fd/N, share=on) and the private region as
     ivshmem-doorbell; the guest's /init runs the command given (netvm.run=)
     after writing the files given (netvm.file=/PATH:BASE64);
  5. closes the core connection the moment QEMU exits, however it exits.

Used as a module by tests/vm/l3fwd_vm.py (class Vm), or from the command line
(root; QEMU's console on stdout, stdin to the guest's console):

  glue.py --core-socket /run/netvm/core.sock --file-prefix PREFIX --role 1 \\
      --file /etc/routes=routes.txt -- \\
      '/bin/netvm-l3fwd --transport uio -r 1 -- --mode lpm --routes /etc/routes'
"""

import argparse
import base64
import mmap
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import env as nvenv  # noqa: E402
from nvtest import guest as nvguest  # noqa: E402
from nvtest import rawnf  # noqa: E402  (the ABI's constants, checked by lib_selftest)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ivshmem_server import ChardevServer  # noqa: E402

HELLO_MAGIC = rawnf.HELLO_MAGIC
ABI_VERSION = rawnf.ABI_VERSION
MSG_POOL = rawnf.MSG_POOL
MSG_ERROR = rawnf.MSG_ERROR
PRIV_NF_STATE_OFF = rawnf.PRIV_NF_STATE_OFF
NF_STATES = {0: "attaching", 1: "running", 2: "stopping"}
HUGE_DIR = "/dev/hugepages"
CMDLINE_MAX = 2047              # x86 COMMAND_LINE_SIZE - 1
QEMU_CONNECT_TIMEOUT = 60       # seconds QEMU has to connect to the chardev


class GlueError(Exception):
    """The core refused the VM, or the VM cannot be set up; says what to do."""


def qemu_opt(value):
    """@value inside a QEMU option list (commas doubled)."""
    return str(value).replace(",", ",,")


class CoreLink:
    """The VM's connection to the core engine, and the fds it brought."""

    def __init__(self, sock_path, role, nb_queues=1, timeout=5.0):
        """Attach as role @role. Raises GlueError; leaves nothing open then."""
        self.fds = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self._attach(sock_path, role, nb_queues)
        except (OSError, GlueError) as exc:
            self.close()
            if isinstance(exc, GlueError):
                raise
            raise GlueError(f"attaching to the core at {sock_path}: {exc} "
                            "(is netvm-core running with that socket?)") from exc
        self.sock.settimeout(None)

    def _msg(self):
        """One little-endian int64 and the fd that came with it (or None)."""
        data, fd = b"", None
        while len(data) < 8:
            chunk, fds, _flags, _addr = socket.recv_fds(self.sock, 8 - len(data), 1)
            if not chunk:
                raise GlueError("the core closed the attach socket during the handshake")
            for f in fds:
                self.fds.append(f)
                fd = f if fd is None else fd
            data += chunk
        return struct.unpack("<q", data)[0], fd

    def _attach(self, sock_path, role, nb_queues):
        self.sock.connect(sock_path)
        self.sock.sendall(struct.pack("<4q", HELLO_MAGIC, ABI_VERSION, role, nb_queues))
        version, _ = self._msg()
        if version == MSG_ERROR:
            code, _ = self._msg()
            raise GlueError(f"the core refused role {role} with {nb_queues} queue(s): "
                            f"{os.strerror(-code) if code < 0 else code}")
        if version != 0:
            raise GlueError(f"attach protocol version {version}, expected 0")
        self.nf_id, _ = self._msg()
        val, self.priv_fd = self._msg()
        if val != -1 or self.priv_fd is None:
            raise GlueError(f"expected -1 + the private region, got {val}")
        val, self.pool_fd = self._msg()
        if val != MSG_POOL or self.pool_fd is None:
            raise GlueError(f"expected NVM_MSG_POOL + the pool region, got {val}")
        val, self.doorbell_fd = self._msg()
        if val != self.nf_id or self.doorbell_fd is None:
            raise GlueError(f"expected {self.nf_id} + the doorbell eventfd, got {val}")

    def close(self):
        """Close the connection (the core then reclaims the VM's buffers) and the fds."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []

    @property
    def closed(self):
        return self.sock is None


def is_pow2(n):
    return n > 0 and n & (n - 1) == 0


def pool_size(link):
    """Size of the pool region the core passed on @link (it has no file name:
    QEMU inherits the fd). Raises GlueError."""
    size = os.fstat(link.pool_fd).st_size
    if not is_pow2(size):
        raise GlueError(f"pool region of {size} bytes, not a power of two: QEMU's "
                        "ivshmem refuses it (use a core that rounds it up, or "
                        "pool_buffers = 2^k - 1)")
    return size


class DoorbellServer(ChardevServer):
    """QEMU's ivshmem-doorbell chardev for one VM: the server side of the
    ivshmem protocol, the VM being the only peer."""

    accept_timeout = QEMU_CONNECT_TIMEOUT

    def __init__(self, path, peer_id, shm_fd, vector_fds):
        super().__init__(path)
        self.peer_id = peer_id
        self.shm_fd = shm_fd
        self.vector_fds = vector_fds

    def messages(self):
        # protocol version; the VM's id (its IVPosition); the private region
        # as the shared memory; the VM's own vectors (core -> guest interrupt)
        return ([(0, None), (self.peer_id, None), (-1, self.shm_fd)] +
                [(self.peer_id, fd) for fd in self.vector_fds])


guest_dir = nvguest.guest_dir


image_missing = nvguest.missing


def kernel_cmdline(command, files):
    """The guest's kernel command line running @command after writing @files
    ({guest path: bytes}). Raises GlueError when it cannot be expressed."""
    if '"' in command:
        raise GlueError("the guest command cannot contain double quotes (netvm.run=\"...\")")
    parts = ["console=ttyS0", "panic=-1", "quiet"]
    for gpath, data in (files or {}).items():
        if not gpath.startswith("/") or any(c in gpath for c in ' :"'):
            raise GlueError(f"guest file path {gpath!r}: absolute, without spaces or colons")
        parts.append(f"netvm.file={gpath}:{base64.b64encode(data).decode()}")
    parts.append(f'netvm.run="{command}"')
    line = " ".join(parts)
    if len(line) > CMDLINE_MAX:
        raise GlueError(f"kernel command line of {len(line)} bytes, the guest takes "
                        f"{CMDLINE_MAX}: the files are too big to pass this way")
    return line


class Vm:
    """One VM whose NF the core engine sees as instance .nf_id of role @role."""

    def __init__(self, workdir, core_socket, file_prefix, role, command, files=None,
                 queues=1, gdir=None, hugepage_dir=HUGE_DIR, memory_mb=256, tag="vm"):
        self.workdir = workdir
        self.core_socket = core_socket
        self.file_prefix = file_prefix
        self.role = role
        self.command = command
        self.files = files or {}
        self.queues = queues
        self.gdir = gdir or guest_dir()
        self.hugepage_dir = hugepage_dir
        self.memory_mb = memory_mb
        self.tag = tag
        self.console_path = os.path.join(workdir, f"{tag}.console") if workdir else None
        self.link = None
        self.nf_id = None
        self.server = None
        self.qemu = None
        self._lock = threading.Lock()
        self.returncode = None
        self.link_closed_at = None  # time.monotonic() when the core connection closed
        self.exited = threading.Event()
        self._priv = None
        self._watcher = None

    def qemu_argv(self, pool_size, chardev):
        """The QEMU command line: the image, the pool (QEMU inherits the link's
        pool fd, see start()) and the private region."""
        return [nvenv.which(nvguest.QEMU), "-accel", nvguest.accel(self.gdir), "-machine", "pc",
                "-m", str(self.memory_mb), "-nodefaults", "-no-user-config",
                "-display", "none", "-serial", "stdio", "-no-reboot",
                "-kernel", os.path.join(self.gdir, "vmlinux"),
                "-initrd", os.path.join(self.gdir, "initramfs.cpio.gz"),
                "-append", kernel_cmdline(self.command, self.files),
                "-object", f"memory-backend-file,id=nvpool,mem-path=/proc/self/fd/{self.link.pool_fd},"
                f"size={pool_size},share=on",
                "-device", "ivshmem-plain,memdev=nvpool",
                "-chardev", f"socket,path={qemu_opt(chardev)},id=nvpriv",
                "-device", "ivshmem-doorbell,chardev=nvpriv,vectors=1"]

    def start(self):
        """Attach to the core, serve the chardev, start QEMU. Raises GlueError."""
        missing = image_missing(self.gdir)
        if missing:
            raise GlueError(f"{missing} is missing: run scripts/build-guest.sh")
        self.link = CoreLink(self.core_socket, self.role, self.queues)
        self.nf_id = self.link.nf_id
        try:
            size = pool_size(self.link)
            self._priv = mmap.mmap(self.link.priv_fd, 0)
            chardev = os.path.join(self.workdir or "/tmp", f"{self.tag}-{os.getpid()}.bell")
            self.server = DoorbellServer(chardev, self.nf_id, self.link.priv_fd,
                                         [self.link.doorbell_fd])
            self.server.start()
            argv = self.qemu_argv(size, chardev)
            out = open(self.console_path, "wb") if self.console_path else None
            try:
                self.qemu = subprocess.Popen(argv, stdin=subprocess.PIPE if out else None,
                                             stdout=out, stderr=subprocess.STDOUT if out else None,
                                             start_new_session=True,
                                             pass_fds=(self.link.pool_fd,))
            finally:
                if out:
                    out.close()
        except GlueError:
            self.close()
            raise
        except OSError as exc:
            self.close()
            raise GlueError(f"starting the VM: {exc}") from exc
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _watch(self):
        self.returncode = self.qemu.wait()
        self._close_link()
        self.exited.set()

    def _close_link(self):
        with self._lock:
            if self._priv is not None:
                self._priv.close()
                self._priv = None
            if self.link is not None and not self.link.closed:
                self.link.close()
                self.link_closed_at = time.monotonic()
            if self.server is not None:
                self.server.close()

    def nf_state(self):
        """The guest NF's state word in its private header, or None once gone."""
        priv = self._priv
        if priv is None:
            return None
        try:
            return NF_STATES.get(struct.unpack_from("<I", priv, PRIV_NF_STATE_OFF)[0], "?")
        except ValueError:
            return None

    def console(self):
        """Everything the guest printed so far."""
        if not self.console_path:
            return ""
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def type_line(self, text):
        """Send the line @text to the guest's console (its /init's stdin).
        Raises GlueError when QEMU does not read it."""
        if self.qemu is None or self.qemu.stdin is None:
            raise GlueError("the guest console is not a pipe (console_path unset)")
        try:
            self.qemu.stdin.write(text.encode() + b"\n")
            self.qemu.stdin.flush()
        except OSError as exc:
            raise GlueError(f"writing to the guest console: {exc}") from exc

    def kill(self, sig=signal.SIGKILL):
        """Send @sig to QEMU (not waiting)."""
        if self.qemu is not None and self.qemu.poll() is None:
            try:
                os.kill(self.qemu.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        """Wait for QEMU to exit and the core connection to be closed; QEMU's exit
        status, or None on time-out."""
        return self.returncode if self.exited.wait(timeout) else None

    def close(self):
        """Kill QEMU if it runs, close everything."""
        if self.qemu is not None and self.qemu.poll() is None:
            try:
                os.killpg(self.qemu.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._watcher is not None:
            self._watcher.join(10)
        elif self.qemu is not None:
            self.qemu.wait(10)
        self._close_link()


def main():
    """Run one VM until QEMU exits; exit with QEMU's status."""
    ap = argparse.ArgumentParser(prog="glue.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--core-socket", required=True, help="the core engine's attach socket")
    ap.add_argument("--file-prefix", required=True, help="the core's EAL --file-prefix")
    ap.add_argument("--role", type=int, required=True, help="role of the VM's NF")
    ap.add_argument("--queues", type=int, default=1, help="ring sets (NF threads)")
    ap.add_argument("--hugepage-dir", default=HUGE_DIR)
    ap.add_argument("--guest-dir", help="scripts/build-guest.sh's output directory")
    ap.add_argument("--file", action="append", default=[], metavar="/GUEST/PATH=LOCAL",
                    help="write file LOCAL to /GUEST/PATH in the guest before the command")
    ap.add_argument("command", help="the guest command (after --)")
    args = ap.parse_args()
    files = {}
    for spec in args.file:
        gpath, sep, local = spec.partition("=")
        if not sep:
            ap.error(f"--file {spec}: expected /GUEST/PATH=LOCAL")
        with open(local, "rb") as f:
            files[gpath] = f.read()
    vm = Vm(None, args.core_socket, args.file_prefix, args.role, args.command, files,
            args.queues, args.guest_dir, args.hugepage_dir)
    try:
        vm.start()
    except GlueError as exc:
        print(f"glue: {exc}", file=sys.stderr)
        return 1
    print(f"glue: VM attached as instance {vm.nf_id} of role {args.role}; QEMU pid "
          f"{vm.qemu.pid}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGINT, lambda *_: vm.kill(signal.SIGTERM))
    signal.signal(signal.SIGTERM, lambda *_: vm.kill(signal.SIGTERM))
    while vm.wait(1) is None:
        pass
    vm.close()
    print(f"glue: QEMU exited with status {vm.returncode}; core connection closed",
          file=sys.stderr)
    return 0 if vm.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
