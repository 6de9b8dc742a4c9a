"""DPDK telemetry v2 client, and a fake server to test it without DPDK.

Protocol: AF_UNIX SOCK_SEQPACKET at /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2.
On connect the server sends one JSON object with "max_output_len"; each
command string sent gets one JSON reply {"<command>": <data>}.
"""

import json
import os
import socket
import threading
import time

SOCKET_NAME = "dpdk_telemetry.v2"
RUN_DIR = "/var/run/dpdk"
STATS_CMD = "/netvm/stats"
NFS_CMD = "/netvm/nfs"
DICT_MAX = 256  # entries of a DPDK telemetry dictionary: /netvm/stats may be cut there


def socket_path(file_prefix, run_dir=RUN_DIR):
    """Telemetry socket of the DPDK process started with --file-prefix @file_prefix."""
    return os.path.join(run_dir, file_prefix, SOCKET_NAME)


class TelemetryError(Exception):
    """The telemetry socket is absent, closed or answered something unexpected."""


class Telemetry:
    """A connection to one DPDK process's telemetry socket (reconnects when dropped)."""

    def __init__(self, path, timeout=2.0):
        self.path = path
        self.timeout = timeout
        self.sock = None
        self.bufsize = 16384
        self.info = None

    def connect(self):
        """Open the socket and read the greeting; raises TelemetryError."""
        self.close()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
            greeting = sock.recv(self.bufsize)
        except OSError as exc:
            sock.close()
            raise TelemetryError(f"{self.path}: {exc}") from exc
        try:
            self.info = json.loads(greeting.decode())
        except ValueError as exc:
            sock.close()
            raise TelemetryError(f"{self.path}: bad greeting {greeting[:80]!r}") from exc
        self.bufsize = max(int(self.info.get("max_output_len", 16384)), 1024)
        self.sock = sock

    def close(self):
        """Close the connection, if any."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def command(self, cmd):
        """Send @cmd; return the data of the reply (reply[cmd]). Raises TelemetryError."""
        for attempt in (0, 1):
            if self.sock is None:
                self.connect()
            try:
                self.sock.send(cmd.encode())
                raw = self.sock.recv(self.bufsize)
            except OSError as exc:
                self.close()
                if attempt:
                    raise TelemetryError(f"{self.path}: {cmd}: {exc}") from exc
                continue
            if not raw:
                self.close()
                if attempt:
                    raise TelemetryError(f"{self.path}: {cmd}: connection closed")
                continue
            try:
                reply = json.loads(raw.decode())
            except ValueError as exc:
                raise TelemetryError(f"{cmd}: reply is not JSON: {raw[:120]!r}") from exc
            key = cmd.split(",", 1)[0]  # the reply names the command without parameters
            if not isinstance(reply, dict) or key not in reply:
                raise TelemetryError(f"{cmd}: unexpected reply {raw[:120]!r}")
            return reply[key]
        raise TelemetryError(f"{cmd}: no reply")

    def stats(self):
        """The core's counters: a dict name -> int. Raises TelemetryError.

        A reply of DICT_MAX entries may have the last NFs' counters cut
        (DPDK's dictionary is full): they are read from /netvm/nf,ID for
        every id of /netvm/nfs whose nf<ID>_pid is missing."""
        data = self.command(STATS_CMD)
        if not isinstance(data, dict):
            raise TelemetryError(f"{STATS_CMD}: expected a dict, got {data!r}")
        if len(data) >= DICT_MAX:
            for nf_id in self.command(NFS_CMD) or []:
                if f"nf{nf_id}_pid" not in data:
                    data.update(self.command(f"/netvm/nf,{nf_id}") or {})
        out = {}
        for key, val in data.items():
            if not isinstance(val, int):
                raise TelemetryError(f"{STATS_CMD}: {key} is not an integer: {val!r}")
            out[key] = val
        return out

    def wait_for(self, pred, timeout, interval=0.05):
        """Poll stats() until pred(stats) is true; return (True, stats) or (False, last)."""
        deadline = time.monotonic() + timeout
        last = {}
        while True:
            try:
                last = self.stats()
                if pred(last):
                    return True, last
            except TelemetryError:
                pass
            if time.monotonic() >= deadline:
                return False, last
            time.sleep(interval)

    def wait_grows(self, key, timeout=10.0):
        """Wait until counter @key exceeds its present value; (ok, before, after)."""
        before = self.stats().get(key)
        ok, st = self.wait_for(lambda s: before is not None and s.get(key, -1) > before,
                               timeout)
        return ok, before, st.get(key)

    def wait_still(self, key, window=0.5, timeout=10.0):
        """Wait until counter @key stays put for @window seconds; (ok, last values seen)."""
        deadline = time.monotonic() + timeout
        seen = [self.stats().get(key)]
        while time.monotonic() < deadline:
            time.sleep(window)
            seen.append(self.stats().get(key))
            if seen[-1] is not None and seen[-1] == seen[-2]:
                return True, seen[-3:]
        return False, seen[-3:]


def drops(stats):
    """The drop_<reason> counters of a stats dict, without the prefix."""
    return {k[5:]: v for k, v in stats.items() if k.startswith("drop_")}


def nf_ids(stats, role=None):
    """Instance ids of attached NFs (those with an nf<I>_role counter), optionally of @role."""
    ids = []
    for key, val in stats.items():
        if key.startswith("nf") and key.endswith("_role") and key[2:-5].isdigit():
            if role is None or val == role:
                ids.append(int(key[2:-5]))
    return sorted(ids)


def nf_keys(stats, nf_id):
    """The counter names of NF instance @nf_id present in @stats."""
    return sorted(k for k in stats if k.startswith(f"nf{nf_id}_"))


class FakeServer:
    """A telemetry server answering from a dict, in a thread (tests of the client).

    @max_output_len is what its greeting announces; @sndbuf, when given, the
    send buffer each connection forces (SO_SNDBUFFORCE: a reply longer than
    the default buffer goes as one message)."""

    def __init__(self, path, replies, max_output_len=16384, sndbuf=None):
        self.path = path
        self.replies = replies  # command -> data, or a callable returning it
        self.max_output_len, self.sndbuf = max_output_len, sndbuf
        self.commands = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.srv.bind(path)
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                continue
            with conn:
                if self.sndbuf:
                    conn.setsockopt(socket.SOL_SOCKET, 32, self.sndbuf)  # SO_SNDBUFFORCE
                conn.send(json.dumps({"version": "fake", "pid": os.getpid(),
                                      "max_output_len": self.max_output_len}).encode())
                conn.settimeout(0.2)
                while not self.stopping:
                    try:
                        cmd = conn.recv(1024)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not cmd:
                        break
                    cmd = cmd.decode()
                    self.commands.append(cmd)
                    data = self.replies.get(cmd)
                    if callable(data):
                        data = data()
                    # the reply names the command without its parameters, as DPDK's
                    try:
                        conn.send(json.dumps({cmd.split(",", 1)[0]: data}).encode())
                    except OSError:
                        break

    def stop(self):
        """Stop serving and remove the socket file."""
        self.stopping = True
        self.thread.join(2)
        self.srv.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
