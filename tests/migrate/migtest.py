"""Helpers of the migrate suite: the patched QEMU, the pool canary, a counted ping flood.

The suite runs netvm-manager (tests/manager/mgrtest.py) with manager.qemu set
to the QEMU that scripts/build-qemu.sh built from Debian's source and
qemu-patches/ (docs/qemu-patches.md), and migrates a VM while traffic goes
through it.
"""

import hashlib
import hmac
import json
import mmap
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "manager"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

import mgrtest  # noqa: E402
import traffic  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

PAGE = 4096         # the migration stream's page: what a stale copy would overwrite
QEMU_POOL_FD = 4    # QEMU holds the pool region as fd 4 (manager/mgr_qemu.c)


def patched_qemu(env):
    """The patched qemu-system-x86_64, or exit 77 when scripts/build-qemu.sh has not built it."""
    res = subprocess.run([os.path.join(env.source_dir, "scripts", "build-qemu.sh"),
                          "--print-binary"], capture_output=True, text=True)
    path = res.stdout.strip()
    if res.returncode != 0 or not os.access(path, os.X_OK):
        print(f"{env.name}: skipped: the patched QEMU is not built or not up to date with "
              "qemu-patches/; run scripts/build-qemu.sh", flush=True)
        env.failed = False
        sys.exit(mgrtest.SKIP)
    return path


def setup(name, timeout, doc):
    """(env, chk, kernel, initrd, qemu) of a scenario; exits 77 without the guest image or
    the patched QEMU."""
    env = nvenv.setup(name, timeout, doc)
    chk = check.Checker(name)
    kernel, initrd = mgrtest.guest_image(env)
    return env, chk, kernel, initrd, patched_qemu(env)


def routes_file(env, a, b):
    """The guest l3fwd's route file: 10.0.1.0/24 to namespace @a on port 0, 10.0.2.0/24
    to @b on port 1."""
    routes = env.path("routes")
    with open(routes, "w") as f:
        f.write(f"10.0.1.0/24 0 {a.ns_mac}\n10.0.2.0/24 1 {b.ns_mac}\n")
    return routes


def check_pool_whole(chk, core, nf_id, what):
    """Check that @core has every buffer back once instance @nf_id is gone."""
    whole, st = core.tel.wait_for(lambda s: traffic.pool_whole(s, nf_id), 10)
    chk.ok(whole, f"{what} has every buffer back (pool0_free + held by other NFs == "
           "pool0_total)", f"pool0_free={st.get('pool0_free')} total={st.get('pool0_total')}")


def pid_gone(pid, timeout):
    """Wait until process @pid no longer exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


class Canary:
    """Keeps a counter in the last 8 bytes of every 4 KiB page of the pool region.

    The data path never writes there: the pool's buffers are 4 KiB, a packet
    starts after the headroom and the tests' packets are far shorter; the
    region's header ends at byte 320. A sweep checks that each page still
    holds the previous sweep's counter, then writes the next one: a page that
    anyone else wrote back (a migration copying a stale page into the shared
    file) shows as an older counter. The pool is opened through the fd QEMU
    holds it by (it has no file name).
    """

    def __init__(self, pid, path=None):
        fd = os.open(path or f"/proc/{pid}/fd/{QEMU_POOL_FD}", os.O_RDWR)
        try:
            self.size = os.fstat(fd).st_size
            self.mm = mmap.mmap(fd, self.size, mmap.MAP_SHARED,
                                mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self.pages = self.size // PAGE
        self.gen = 0
        self.sweeps = 0
        self.bad = []            # (page, found, expected), the first ones
        self.nbad = 0
        self._stop = threading.Event()
        self._thread = None

    @classmethod
    def of_core(cls, core):
        """The canary on @core's pool 0, opened through the core's own fd of it."""
        fds = f"/proc/{core.pid}/fd"
        for fd in os.listdir(fds):
            try:
                link = os.readlink(os.path.join(fds, fd))
            except OSError:
                continue
            if link.startswith(f"/memfd:netvm-{core.prefix}-pool0"):
                return cls(core.pid, os.path.join(fds, fd))
        raise RuntimeError(f"no pool 0 among the fds of core {core.prefix}")

    def sweep(self):
        """Check every page's counter against the last sweep's, write the next one."""
        prev, gen = self.gen, self.gen + 1
        mm, pack, unpack = self.mm, struct.pack_into, struct.unpack_from
        for page in range(self.pages):
            off = page * PAGE + PAGE - 8
            if prev:
                found = unpack("<Q", mm, off)[0]
                if found != prev:
                    self.nbad += 1
                    if len(self.bad) < 5:
                        self.bad.append((page, found, prev))
            pack("<Q", mm, off, gen)
        self.gen = gen
        self.sweeps += 1

    def _run(self):
        while not self._stop.is_set():
            self.sweep()
            time.sleep(0.001)

    def start(self):
        """Sweep in a thread until stop()."""
        self.sweep()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        """Stop sweeping; one last sweep checks the pages once more."""
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        self.sweep()
        self.mm.close()


class Flood:
    """A ping flood from namespace @a to @b whose loss is counted by ping itself."""

    def __init__(self, a, b, count, interval="0.01", quiet=True):
        argv = a.exec_argv([nvenv.which("ping") or "ping", "-n", "-q" if quiet else "-D",
                            "-i", interval, "-W", "5", "-c", str(count), b.addr])
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.out = ""

    def stop(self):
        """End the flood now (ping prints its counts on SIGINT); result() reads them."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def result(self, timeout):
        """(transmitted, received, ping's output) once it ended."""
        try:
            self.out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.out, _ = self.proc.communicate()
        m = re.search(r"(\d+) packets transmitted, (\d+) received", self.out)
        if not m:
            return None, None, self.out
        return int(m.group(1)), int(m.group(2)), self.out

    def reply_times(self):
        """The host clock's times of the replies (a flood started with quiet=False)."""
        return [float(t) for t in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from", self.out,
                                             re.M)]


# ---- the migration port (manager.migrate_listen, docs/manager.md section 12) ----

def free_port():
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_range(n):
    """The first of @n consecutive TCP ports of 127.0.0.1 nobody listens on now."""
    for _ in range(200):
        lo = int.from_bytes(os.urandom(2), "little") % 20000 + 30000
        socks = []
        try:
            for port in range(lo, lo + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return lo
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} free consecutive ports")


def write_key(path, data):
    """Key file @path holding @data, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def wait_log(proc, text, timeout):
    """Wait until process @proc's output holds @text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in proc.stdout():
            return True
        time.sleep(0.1)
    return False


class PortClient:
    """A client of the migration port written here, apart from the manager's code:
    HMAC-SHA256 from Python's hmac module over label NUL Ns Nc text."""

    def __init__(self, port, key):
        self.port = port
        self.key = key

    def mac(self, label, ns, nc, text):
        """The protocol's MAC of @text, in hex."""
        return hmac.new(self.key, label + b"\0" + ns + nc + text, hashlib.sha256).hexdigest()

    def connect(self):
        """(socket, Ns) after the greeting; Ns None when it was not one."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        hello = recv_line(s)
        m = re.fullmatch(rb"NETVM-MIGRATE 1 ([0-9a-f]{64})\n", hello)
        return s, bytes.fromhex(m.group(1).decode()) if m else None

    def signed(self, ns, req, nc=None):
        """The request line of @req (bytes) for greeting @ns; (line, Nc)."""
        nc = nc or os.urandom(32)
        return (f"{nc.hex()} {self.mac(b'netvm-migrate 1 request', ns, nc, req)} ".encode()
                + req + b"\n", nc)

    def ask(self, req):
        """Request @req (bytes): (the answer's MAC verified, "-" refusal, its JSON text)."""
        s, ns = self.connect()
        with s:
            if ns is None:
                return False, False, ""
            line, nc = self.signed(ns, req)
            s.sendall(line)
            answer = recv_all(s, 20).decode().rstrip("\n")
        got, _, text = answer.partition(" ")
        return (got == self.mac(b"netvm-migrate 1 answer", ns, nc, text.encode()), got == "-",
                text)


def recv_line(s):
    """Bytes from socket @s up to and with a newline, or what came before it closed."""
    line = b""
    while not line.endswith(b"\n"):
        d = s.recv(1)
        if not d:
            break
        line += d
    return line


def recv_all(s, timeout):
    """Everything socket @s sends until it closes, or until @timeout; (bytes)."""
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except (socket.timeout, ConnectionResetError):
        pass
    return data


# ---- what a migration stream carries on the wire ----

class StreamSniffer:
    """The first bytes of each TCP connection to ports @lo..@hi of 127.0.0.1, read off
    the loopback device with a packet socket (apart from QEMU and the manager).
    first: [(source port, the first data segment's bytes, at most 64)]."""

    ETH_P_ALL = 0x0003
    PACKET_OUTGOING = 4
    SO_RCVBUFFORCE = 33

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.first = []
        self.seen = set()
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(self.ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, self.SO_RCVBUFFORCE, 8 << 20)
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _segment(self, data):
        """(source port, payload) of a TCP/IPv4 frame of @data to a watched port, or None."""
        if len(data) < 14 + 20 or data[12:14] != b"\x08\x00" or data[14] >> 4 != 4:
            return None
        ihl = (data[14] & 15) * 4
        if data[23] != 6 or len(data) < 14 + ihl + 20:
            return None
        tcp = 14 + ihl
        sport, dport = struct.unpack_from("!HH", data, tcp)
        if not self.lo <= dport <= self.hi:
            return None
        total = struct.unpack_from("!H", data, 16)[0]
        payload = data[tcp + (data[tcp + 12] >> 4) * 4:14 + total]
        return (sport, payload) if payload else None

    def _run(self):
        while not self.stopping.is_set():
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            seg = None if addr[2] == self.PACKET_OUTGOING else self._segment(data)
            if seg is not None and seg[0] not in self.seen:
                self.seen.add(seg[0])
                self.first.append((seg[0], bytes(seg[1][:64])))

    def stop(self):
        """Stop reading; the connections' first bytes (self.first)."""
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()
        return self.first


def tls_record(data):
    """Whether @data begins with a TLS handshake record (a ClientHello's first bytes)."""
    return len(data) >= 5 and data[0] == 0x16 and data[1] == 0x03


QEMU_STREAM_MAGIC = b"QEVM"  # the first four bytes of QEMU's migration stream in clear


def x509_dirs(env):
    """Credentials of manager.migrate_tls made with openssl: a CA, B's server
    certificate for 127.0.0.1 (and the RFC 7919 Diffie-Hellman group), A's client
    certificate, and a client certificate of another CA. {'server': DIR, 'client': DIR, 'rogue': DIR, 'rogue_ca': FILE} in QEMU's
    x509 layout (the rogue client's directory holds the first CA's certificate)."""
    work = env.path("x509")
    os.makedirs(work, exist_ok=True)

    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, text=True,
                       cwd=work)

    def ca(name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
                "-subj", f"/CN=netvm test {name}", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(name, ca_name, ext):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(work, f"{name}.ext"), "w") as f:
            f.write(ext)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca_name}.pem", "-CAkey",
                f"{ca_name}.key", "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                "-extfile", f"{name}.ext")

    ca("ca")
    ca("rogue-ca")
    openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_param:ffdhe2048",
            "-out", "dh-params.pem")
    leaf("server", "ca", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
         "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n")
    for name, signer in (("client", "ca"), ("rogue", "rogue-ca")):
        leaf(name, signer, "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,"
             "keyEncipherment\nextendedKeyUsage=clientAuth\n")
    dirs = {}
    for d, role, leaf_name in (("server", "server", "server"), ("client", "client", "client"),
                               ("rogue", "client", "rogue")):
        path = env.path(f"tls-{d}")
        os.makedirs(path, exist_ok=True)
        shutil.copy(os.path.join(work, "ca.pem"), os.path.join(path, "ca-cert.pem"))
        if role == "server":
            shutil.copy(os.path.join(work, "dh-params.pem"), path)
        shutil.copy(os.path.join(work, f"{leaf_name}.pem"), os.path.join(path, f"{role}-cert.pem"))
        shutil.copy(os.path.join(work, f"{leaf_name}.key"), os.path.join(path, f"{role}-key.pem"))
        dirs[d] = path
    dirs["rogue_ca"] = os.path.join(work, "rogue-ca.pem")
    return dirs


class FakeDestination(PortClient):
    """A destination manager's migration port written here (the protocol's other
    side): it answers each signed request with @answer(request) (a dict, signed) and
    keeps the requests in self.requests."""

    def __init__(self, key, answer):
        super().__init__(0, key)
        self.answer = answer
        self.requests = []
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]
        self.srv.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _serve(self, s):
        ns = os.urandom(32)
        s.sendall(f"NETVM-MIGRATE 1 {ns.hex()}\n".encode())
        line = recv_line(s)
        if not line.endswith(b"\n"):
            return
        nc_hex, mac, req = line.rstrip(b"\n").split(b" ", 2)
        nc = bytes.fromhex(nc_hex.decode())
        if mac.decode() != self.mac(b"netvm-migrate 1 request", ns, nc, req):
            s.sendall(b'- {"ok": false, "error": "authentication failed"}\n')
            return
        self.requests.append(req.decode())
        text = json.dumps(self.answer(req.decode())).encode()
        s.sendall(self.mac(b"netvm-migrate 1 answer", ns, nc, text).encode() + b" " + text +
                  b"\n")

    def _run(self):
        while not self.stopping.is_set():
            try:
                s, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with s:
                s.settimeout(10)
                try:
                    self._serve(s)
                except (OSError, ValueError):
                    pass

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.srv.close()
