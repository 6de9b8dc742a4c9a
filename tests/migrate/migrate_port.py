#!/usr/bin/env python3
"""migrate_port: the migration port of netvm-manager (manager.migrate_listen) against its peers.

One netvm-manager listening for migration requests on 127.0.0.1 (a free
port), with a key file, a VM configured but never started, no core engine
and no guest (the port's protocol does not need them). A client written
here with Python's hmac (migtest.PortClient), apart from the manager's
code, speaks docs/manager.md section 12's protocol:

  config    a key file others can read, and a listen port in use: the
            manager refuses to start, naming the file (chmod 600) or the
            address
  protocol  the greeting; `vm list` signed with the key: its answer's MAC
            verifies and lists the VM stopped; `vm receive` signed: the
            manager's own refusal (its QEMU has no x-shared-no-migrate),
            authenticated, nothing started; `vm start` over the port:
            refused, the VM stays stopped
  refused   a request signed with another key, a request line replayed
            from another connection, a line that is not a request: each
            gets the unauthenticated refusal ("- {..authentication
            failed..}") and a log line with the peer's address; the VM stays
            stopped; the key file made readable by others: requests refused
            without naming the file (the log names it); mended: served again,
            no restart
  stall     ten peers that connect and say nothing (more than the 8 the
            manager lets wait), one that sends a byte a second, one that
            sends 1000 bytes without a newline: netvmctl vm list still gets
            its answer; every one is closed by the manager (the extra ones
            at once, the rest after the handshake's 5 s), which logs why;
            a new connection is greeted and served after them
  stop      SIGINT: exit 0

Needs only netvm-manager and netvmctl.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import migtest  # noqa: E402
import mgrtest  # noqa: E402
from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Proc  # noqa: E402

VM = "l3fwd"
SILENT = 10          # more than the 8 connections the manager lets wait
CLOSED_S = 30        # a stalling peer is closed within this (its time-out is 5 s)


def config(env, name, listen, key, extra=""):
    """A manager configuration in the work directory; its path."""
    kernel = env.path("vmlinux")
    with open(kernel, "w") as f:
        f.write("never booted\n")
    conf = env.path(f"{name}.conf")
    with open(conf, "w") as f:
        f.write(f'manager = {{ socket = "{env.path(name + ".sock")}"; '
                f'state_dir = "{env.path(name + "-vms")}"; qemu = "/bin/true";\n'
                f'  migrate_listen = "{listen}"; migrate_key = "{key}";\n'
                f'  migrate_ports = [ 49152, 49155 ]; {extra}}};\n'
                f'core = {{ socket = "{env.path("core.sock")}"; '
                f'file_prefix = "{env.unique("mp")}"; }};\n'
                f'vms = ( {{ name = "{VM}"; role = 1; kernel = "{kernel}"; '
                f'autostart = false; }} );\n')
    return conf


def netvmctl(env, sock, *args):
    """netvmctl --json against @sock: (exit status, stdout) or (None, "") on a time-out."""
    try:
        res = subprocess.run([env.binary(mgrtest.NETVMCTL_BIN), "-s", sock, "--json"] +
                             list(args), capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, ""
    return res.returncode, res.stdout + res.stderr


def vm_state(env, sock):
    """The VM's state in the manager's vm list, or what netvmctl said instead."""
    rc, out = netvmctl(env, sock, "vm", "list")
    m = re.search(r'"state":"(\w+)"', out.replace(" ", ""))
    return m.group(1) if rc == 0 and m else f"netvmctl exit {rc}: {out[:200]}"


def case_config(env, chk, key):
    """Configurations the manager refuses to start with."""
    loose = env.path("loose.key")
    migtest.write_key(loose, os.urandom(32))
    os.chmod(loose, 0o644)
    conf = config(env, "loose", f"127.0.0.1:{migtest.free_port()}", loose)
    res = subprocess.run([env.binary(mgrtest.MANAGER_BIN), "-c", conf, "--check"],
                         capture_output=True, text=True, timeout=30)
    chk.ok(res.returncode == 1 and "manager.migrate_key" in res.stderr and loose in res.stderr
           and "chmod 600" in res.stderr, "config: a key file others can read is refused",
           res.stderr.strip())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        conf = config(env, "busy", f"127.0.0.1:{taken}", key)
        res = subprocess.run([env.binary(mgrtest.MANAGER_BIN), "-c", conf],
                             capture_output=True, text=True, timeout=30)
    chk.ok(res.returncode == 1 and f"cannot listen on 127.0.0.1:{taken} "
           "(manager.migrate_listen)" in res.stderr,
           "config: a migrate_listen address in use stops the manager with the reason",
           res.stderr.strip())
    dirs = migtest.x509_dirs(env)
    for tls, missing, what in ((dirs["client"], "server-cert.pem", "a client's directory"),
                               (env.path("no-such-dir"), "No such file or directory",
                                "a directory that does not exist")):
        conf = config(env, "tls", f"127.0.0.1:{migtest.free_port()}", key,
                      f'migrate_tls = "{tls}"; ')
        res = subprocess.run([env.binary(mgrtest.MANAGER_BIN), "-c", conf, "--check"],
                             capture_output=True, text=True, timeout=30)
        chk.ok(res.returncode == 1 and f"{conf}:3: manager.migrate_tls: migrate TLS directory "
               f"{tls}" in res.stderr and missing in res.stderr,
               f"config: migrate_tls naming {what} is refused where streams come in (no "
               f"{'server-cert.pem' if tls == dirs['client'] else 'directory'})",
               res.stderr.strip())
    conf = config(env, "tlsok", f"127.0.0.1:{migtest.free_port()}", key,
                  f'migrate_tls = "{dirs["server"]}"; ')
    res = subprocess.run([env.binary(mgrtest.MANAGER_BIN), "-c", conf, "--check"],
                         capture_output=True, text=True, timeout=30)
    chk.ok(res.returncode == 0, "config: migrate_tls with the server's files is taken",
           res.stderr.strip())


def case_protocol(env, chk, mgr, sock, client):
    """Signed requests: answered with a MAC that verifies; only the port's requests."""
    s, ns = client.connect()
    s.close()
    chk.ok(ns is not None, "protocol: the greeting is NETVM-MIGRATE 1 and a 64-digit nonce")
    ok, _, text = client.ask(b"vm list")
    chk.ok(ok and f'"name":"{VM}"' in text and '"state":"stopped"' in text,
           "protocol: vm list: the answer's MAC verifies, the VM is stopped", text[:300])
    ok, _, text = client.ask(f"vm receive {VM}".encode())
    chk.ok(ok and '"ok":false' in text and "x-shared-no-migrate" in text,
           "protocol: vm receive: the manager's own refusal (no patched QEMU), "
           "authenticated", text[:300])
    ok, _, text = client.ask(f"vm start {VM}".encode())
    chk.ok(ok and '"ok":false' in text and "not one the migration port takes" in text,
           "protocol: vm start over the migration port is refused", text[:300])
    chk.eq(vm_state(env, sock), "stopped", "protocol: the VM stays stopped")
    chk.ok(migtest.wait_log(mgr, "migration port: vm list from 127.0.0.1:", 10),
           "protocol: the manager logs the authenticated requests", mgr.tail(5))


def case_refused(env, chk, mgr, sock, client, port, key_path):
    """Requests that do not carry the key's MAC: refused without authentication, logged."""
    other = migtest.PortClient(port, os.urandom(32))
    ok, dash, text = other.ask(b"vm list")
    chk.ok(not ok and dash and '"ok":false' in text and "authentication failed" in text and
           "does not match this manager's key" in text,
           "refused: a request signed with another key", text[:300])
    # a line recorded on one connection, replayed on the next
    s1, ns1 = client.connect()
    line, _ = client.signed(ns1, f"vm stop {VM}".encode())
    s1.close()
    s2, _ = client.connect()
    with s2:
        s2.sendall(line)
        text = migtest.recv_all(s2, 20).decode()
    chk.ok(text.startswith("- ") and "authentication failed" in text,
           "refused: a request replayed on another connection", text[:300])
    s3, _ = client.connect()
    with s3:
        s3.sendall(b"vm list\n")
        text = migtest.recv_all(s3, 20).decode()
    chk.ok(text.startswith("- ") and "not a netvm-manager's migration request" in text,
           "refused: a line that is not a signed request", text[:300])
    out = mgr.stdout()
    chk.ok(out.count("migration port: request from 127.0.0.1:") >= 3 and
           out.count(" refused: ") >= 3, "refused: each one logged with the peer's address",
           mgr.tail(6))
    chk.eq(vm_state(env, sock), "stopped", "refused: the VM stays stopped")
    # the key is read again for every request
    os.chmod(key_path, 0o644)
    ok, dash, text = client.ask(b"vm list")
    chk.ok(not ok and dash and "cannot read its key" in text and key_path not in text,
           "refused: a key file gone loose: refused without naming the file", text[:300])
    chk.ok(migtest.wait_log(mgr, f"{key_path}: mode 0644", 10),
           "refused: ... which the manager's log names", mgr.tail(3))
    os.chmod(key_path, 0o600)
    ok, _, text = client.ask(b"vm list")
    chk.ok(ok, "refused: the key file mended, served again without a restart", text[:300])


def dribble(port, stop):
    """A peer that sends one byte a second and never a newline, until @stop."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.recv(200)
        try:
            while not stop.is_set():
                s.sendall(b"a")
                time.sleep(1)
        except OSError:
            pass  # the manager closed it: what is expected


def still_open(s):
    """Whether the manager has not closed socket @s (nothing to read, no EOF)."""
    s.setblocking(False)
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)


def case_stall(env, chk, mgr, sock, client, port):
    """Peers that stall mid-handshake do not hold the manager up, and are closed."""
    before = mgr.stdout()
    peers = [socket.create_connection(("127.0.0.1", port), timeout=20)
             for _ in range(SILENT - 2)]
    # each one greeted: the manager accepted them all before the request below
    greeted = sum(1 for s in peers if s.recv(200).startswith(b"NETVM-MIGRATE 1 "))
    chk.eq(greeted, SILENT - 2, "stall: the silent peers were accepted and greeted")
    stop = threading.Event()
    slow = threading.Thread(target=dribble, args=(port, stop), daemon=True)
    slow.start()
    rc, out = netvmctl(env, sock, "vm", "list")
    chk.ok(rc == 0 and f'"name":"{VM}"' in out.replace(" ", ""),
           f"stall: with {SILENT - 2} silent peers and a dribbling one on the migration "
           "port, netvmctl vm list gets its answer", out[:300])
    # a manager that waited on a silent peer would have answered only after
    # giving up on it (5 s after its greeting)
    chk.ok(all(still_open(s) for s in peers), "stall: ... while every silent peer was still "
           "connected (the manager did not wait on them)", mgr.tail(5))
    peers += [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(2)]
    rc, out = netvmctl(env, sock, "vm", "list")
    chk.eq(rc, 0, "stall: ... and again with two more silent peers")
    for s in peers:
        migtest.recv_all(s, CLOSED_S)
        s.close()
    stop.set()
    slow.join(CLOSED_S)
    new = mgr.stdout()[len(before):]
    waited = new.count("closed: no whole request within")
    full = new.count("connections are waiting for their request already")
    chk.ok(waited + full >= SILENT + 1 and full >= 1,
           f"stall: the manager closed every stalling peer ({waited} after the time-out, "
           f"{full} at once for want of a slot) and logged it", mgr.tail(14))
    chk.ok(not slow.is_alive(), "stall: the dribbling peer was closed")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.recv(200)
        s.sendall(b"x" * 1000)
        text = migtest.recv_all(s, CLOSED_S)
    chk.ok(text == b"" and migtest.wait_log(mgr, "a request line longer than", 10),
           "stall: 1000 bytes without a newline: closed and logged", mgr.tail(3))
    ok, _, text = client.ask(b"vm list")
    chk.ok(ok and f'"name":"{VM}"' in text, "stall: a new connection is greeted and served",
           text[:200])


def main():
    """Run the scenario; exit 0 when every check passed."""
    env = nvenv.setup("migrate_port", 240, __doc__)
    chk = check.Checker("migrate_port")
    nvenv.require_binaries(env, chk, [mgrtest.MANAGER_BIN, mgrtest.NETVMCTL_BIN])
    port, key_path, key = migtest.free_port(), env.path("b.key"), os.urandom(32)
    migtest.write_key(key_path, key)
    client = migtest.PortClient(port, key)

    chk.section("config: what the manager refuses to start with")
    case_config(env, chk, key_path)

    chk.section("a manager listening on 127.0.0.1 for migrations")
    conf = config(env, "mgrb", f"127.0.0.1:{port}", key_path)
    sock = env.path("mgrb.sock")
    mgr = Proc(env, "mgrb", [env.binary(mgrtest.MANAGER_BIN), "-c", conf])
    mgr.start()
    up = migtest.wait_log(mgr, f"migration port 127.0.0.1:{port}", 20)
    if not chk.ok(up and vm_state(env, sock) == "stopped",
                  "netvm-manager starts, listens and answers", mgr.tail()):
        env.done(chk)

    chk.section("protocol: signed requests")
    case_protocol(env, chk, mgr, sock, client)

    chk.section("refused: requests without the key's MAC")
    case_refused(env, chk, mgr, sock, client, port, key_path)

    chk.section("stall: peers that stall mid-handshake")
    case_stall(env, chk, mgr, sock, client, port)

    chk.section("stop")
    chk.eq(mgr.stop(timeout=15), 0, "netvm-manager exits 0 on SIGINT")
    env.done(chk)


if __name__ == "__main__":
    main()
