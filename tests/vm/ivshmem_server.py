"""A minimal ivshmem server: one QEMU guest and the host as the other peer.

QEMU's ivshmem-doorbell device gets its shared memory and its interrupt
eventfds from a server over a unix socket (QEMU docs/specs/ivshmem-spec.rst,
"Server protocol"). Debian packages no ivshmem-server, so the test speaks the
protocol itself: 8-byte little-endian integers, file descriptors passed with
SCM_RIGHTS. To the client, in order:

    0                  protocol version
    GUEST_ID           the client's own peer id (its IVPosition register)
    -1 + shm fd        the shared memory
    HOST_ID + fd       once per vector: the host's eventfds (guest -> host doorbell)
    GUEST_ID + fd      once per vector: the client's own eventfds (host -> guest interrupt)

A write to the guest's eventfd of vector V raises the guest's interrupt V; the
guest writing (HOST_ID << 16 | V) to its doorbell register makes QEMU write the
host's eventfd of vector V.
"""

import os
import select
import socket
import struct
import threading

HOST_ID = 0
GUEST_ID = 1


class ChardevServer:
    """The server side of one ivshmem chardev socket at @path: accepts one
    client in the background and sends it messages(), a list of (value, fd or
    None). Subclasses say what to send."""

    accept_timeout = 60.0

    def __init__(self, path):
        self.path = path
        self.error = None
        self.served = threading.Event()
        self._conn = None
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(1)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def messages(self):
        """The protocol messages for the client, in order."""
        raise NotImplementedError

    def start(self):
        """Accept the client in the background (QEMU connects while it starts)."""
        self._thread.start()

    def _send(self, value, fd=None):
        data = struct.pack("<q", value)
        if fd is None:
            self._conn.sendall(data)
        else:
            socket.send_fds(self._conn, [data], [fd])

    def _serve(self):
        try:
            self._listener.settimeout(self.accept_timeout)
            self._conn, _ = self._listener.accept()
            self._conn.settimeout(10)
            for value, fd in self.messages():
                self._send(value, fd)
            self.served.set()
        except OSError as exc:
            self.error = f"ivshmem chardev {self.path}: {exc}"

    def close(self):
        """Close the connection and the socket; remove the socket file."""
        for sock in (self._conn, self._listener):
            if sock is not None:
                sock.close()
        self._conn = self._listener = None
        try:
            os.unlink(self.path)
        except OSError:
            pass


class IvshmemServer(ChardevServer):
    """Serves one client on @path; the host is peer HOST_ID, the client GUEST_ID."""

    def __init__(self, path, shm_fd, vectors=1):
        super().__init__(path)
        self.shm_fd = shm_fd
        self.vectors = vectors
        self.host_efds = [os.eventfd(0) for _ in range(vectors)]
        self.guest_efds = [os.eventfd(0) for _ in range(vectors)]

    def messages(self):
        return ([(0, None), (GUEST_ID, None), (-1, self.shm_fd)] +
                [(HOST_ID, efd) for efd in self.host_efds] +
                [(GUEST_ID, efd) for efd in self.guest_efds])

    def wait_doorbell(self, timeout, vector=0):
        """Wait for the guest to ring the host's vector; returns the eventfd count or 0."""
        ready, _, _ = select.select([self.host_efds[vector]], [], [], timeout)
        if not ready:
            return 0
        return os.eventfd_read(self.host_efds[vector])

    def interrupt_guest(self, vector=0):
        """Raise the guest's interrupt @vector."""
        os.eventfd_write(self.guest_efds[vector], 1)

    def close(self):
        """Close the connection, the socket and every eventfd; remove the socket file."""
        super().close()
        for efd in self.host_efds + self.guest_efds:
            os.close(efd)
        self.host_efds = self.guest_efds = []
