#!/usr/bin/env python3
"""netvmctl_json: `netvmctl --json` always prints one valid JSON object.

netvmctl against a manager played by the test (a unix socket that answers
each request line with canned bytes) and against sockets that do not exist.
No root, no core, no manager.

  answer     the manager's answer is printed as JSON, exit status as its "ok"
  tables     without --json, nf list, stats, vm list and idle list are aligned
             tables whose lines end in no blank (a last column of numbers
             wider than its header; an idle VM with no command and no error
             shows -); vm list's LAST DOWN is the whole reason, not cut short
  not UTF-8  an answer that echoes bytes that are not UTF-8 (a VM name given
             as raw bytes) is still valid JSON: each bad byte is U+FFFD
  failures   no manager socket, no core socket, a VM the manager does not
             list (vm cmd): {"ok": false, "error": ...} on stdout, the same
             message on stderr, exit status 1
  another user's sockets  run as nobody (when the test is root) against the
             manager's and the core's sockets, mode 0600 and root's: exit 1, the
             message says the socket is not this user's to use (not "is it running?")
  long path  -c or -s with a socket path longer than a unix socket's 107 bytes:
             exit 1, the message says the path is too long
  usage      a usage error, an option error among them (-t 0, -t ' 5', -t +5, an unknown
             option, before or after --json): {"ok": false, ...}, exit status 2
  VM names   vm start/stop/migrate with a name that is empty, holds a blank or is
             longer than 1023 bytes, or a --to URI with a blank: a usage error
             (exit 2) naming the argument, nothing asked
  one word   a core command's value that must be one word (rule del N, chain set
             NAME, chain del NAME, role name ID NAME, instance ... ID, dos set K N)
             empty or with a blank: a usage error, nothing sent (the core would
             split it into other words); rule text, default set's target and chain
             set's roles are sent as they are
  NF ids     nf counters, nf cmd, nf stop, nf move with an argument that is not an
             NF instance id (0..65535): a usage error, exit status 2, nothing sent
  -f size    to a core played by the test: a file that fits with its command line in
             16 MiB (16777216 bytes) in all is sent whole; a file of exactly 16 MiB
             does not fit with the line: refused (exit 1), the message says the line
             and the file are longer than 16777216 bytes in all (the file is not
             larger than that); one byte more: the file is larger than 16777216 bytes;
             a directory as -f or core reload's FILE: refused, 'DIR: Is a directory'
  stdout     an answer that cannot be written whole (stdout is /dev/full: a full
             disk under `netvmctl metrics > F && mv F ...`): exit status 1, stderr
             says so, with or without --json; the textfile snippet of
             docs/operations-basics.md "Metrics" run as written: with the manager
             answering it puts netvm.prom in place, without one it fails and leaves
             the previous netvm.prom, and in either case no temporary file behind
  -t core    nf cmd and a core command to a core that takes the connection and never
             answers: refused after -t plus 2 s, exit 1, 'did not answer within N ms'
  -t         every command for the manager (vm cmd, vm list/start/stop/migrate, nf
             list/counters/start/stop/move, stats, metrics, scale list, dos, idle
             list) to a manager that takes the connection and never answers:
             refused within -t (exit status 1, JSON error) instead of waiting
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

CTL = "manager/netvmctl"
# a VM's reason for going down longer than a table cell used to be
LONG_DOWN = ("restart failed: cannot reach the core engine at /run/netvm/core.sock: "
             "No such file or directory (is netvm-core running?)")


class UnixServer:
    """A unix stream socket at @path: a thread hands each client in turn to
    self.client(conn), then closes it."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self.client(conn)
                except OSError:
                    pass


def answer(conn, data):
    """Send @data as the whole answer, then read what the client still sends
    until it closes: a unix socket closed with bytes unread resets the
    client's side, which could then lose the answer."""
    conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(10)
    try:
        while conn.recv(1 << 16):
            pass
    except OSError:
        pass


def read_line(conn):
    """What @conn sends up to and with its first newline (or its end), and any more
    that came in the same reads."""
    data = b""
    while b"\n" not in data:
        more = conn.recv(4096)
        if not more:
            break
        data += more
    return data


class FakeManager(UnixServer):
    """A unix socket answering every request with @answers[request line]."""

    def __init__(self, path, answers):
        self.answers, self.requests = answers, []
        super().__init__(path)

    def client(self, conn):
        line = read_line(conn).decode("utf-8", "surrogateescape").rstrip("\n")
        self.requests.append(line)
        answer(conn, self.answers.get(line.split(" ")[0] + " " + line.split(" ")[1]
                                      if " " in line else line, b'{"ok": false}'))


class Silent(UnixServer):
    """A unix socket that takes each client and closes it unanswered."""

    def client(self, conn):
        pass


class FakeCore(UnixServer):
    """The core's command socket (@path): reads one "nf ID LEN TIMEOUT" request
    and its LEN bytes, keeps (head, bytes read), answers status 0 "ok"."""

    def __init__(self, path):
        self.requests = []
        super().__init__(path)

    def client(self, conn):
        head, _, got = read_line(conn).partition(b"\n")
        words = head.split()
        want = int(words[2]) if len(words) == 4 and words[2].isdigit() else 0
        n = len(got)
        while n < want:
            more = conn.recv(1 << 20)
            if not more:
                break
            n += len(more)
        self.requests.append((head.decode(), n))
        # NF 4242 answers a status that is no errno (a raw NF may send any int)
        answer(conn, b"-2147483648 3\nbad" if words[1:2] == [b"4242"] else b"0 2\nok")


def textfile_snippet(env):
    """The sh lines of docs/operations-basics.md's textfile collector
    example, or None."""
    with open(os.path.join(env.source_dir, "docs", "operations-basics.md")) as f:
        text = f.read()
    m = re.search(r"```sh\n(# every 15 s.*?)```", text, re.S)
    return m.group(1) if m else None


def ctl(env, *args, first=(), limit=30):
    """netvmctl FIRST --json ARGS (bytes allowed); (status, parsed stdout or None, raw, stderr).

    A netvmctl that does not end within @limit s is killed: status None."""
    try:
        r = subprocess.run([env.binary(CTL)] + list(first) + ["--json"] + list(args),
                           capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None, None, b"", f"did not end within {limit} s"
    try:
        parsed = json.loads(r.stdout.decode("utf-8"))  # strict: invalid UTF-8 raises
    except (UnicodeDecodeError, ValueError):
        parsed = None
    return r.returncode, parsed, r.stdout, r.stderr.decode("utf-8", "replace")


def main():
    env = nvenv.setup("netvmctl_json", timeout=95, description=__doc__)
    chk = check.Checker("netvmctl_json")
    nvenv.require_binaries(env, chk, [CTL])
    sock = env.path("manager.sock")
    fm = FakeManager(sock, {
        "vm start": b'{"ok": false, "error": "no VM called \'\xff\xfe\' in the manager\'s '
                    b'configuration"}\n',
        "vm stop": b'{"ok": true}\n',
        "vm list": b'{"ok": true, "vms": [{"name": "fw1", "state": "failed", "launcher": '
                   b'"qemu", "role": 2, "nf_id": null, "pid": null, "uptime_s": null, '
                   b'"restarts": 5, "last_down": "' + LONG_DOWN.encode() + b'"}], '
                   b'"core_socket": "/nonexistent/core.sock"}\n',
        "metrics": b'{"ok": true, "stats": {"cmd_sent": 18446744073709551615, '
                   b'"port0_rx": 9223372036854775808, "nf3_role": 1}, '
                   b'"nf_counters": {"3": {"big": 18446744073709551614, "small": 5}}}\n',
        "nf list": b'{"ok": true, "nfs": [{"id": 3, "vm": "fw1", "role": 1, "rx": 123456789},'
                   b' {"id": 12, "vm": null, "role": 2, "rx": 5}]}\n',
        "idle list": b'{"ok": true, "idle": [{"name": "idle0", "state": "idle", "pid": 4242, '
                     b'"nf_id": null, "role": null, "nf": null, "nfs_run": 0, '
                     b'"last_error": null}, {"name": "idle1", "state": "busy", "pid": 4243, '
                     b'"nf_id": 3, "role": 1, "nf": "/bin/netvm-bridge -r 1", "nfs_run": 1, '
                     b'"last_error": null}], "provisioned": 1, "replaced": 0, "retired": 0}\n',
        "scale list": b'{"ok": true, "policies": [{"role": 1, "method": "process", "min": 1, '
                      b'"max": 3, "running": 2, "mean_load": 41, "out_above": 16, '
                      b'"in_below": 2, "scale_outs": 1, "scale_ins": 0, '
                      b'"start_failures": 0, "instances": [{"name": "r1-1", "state": '
                      b'"running", "nf_id": 0, "pid": 4711, "vm": null, "log": '
                      b'"/run/netvm/r1-1.log"}, {"name": "r1-2", "state": "starting", '
                      b'"nf_id": null, "pid": 123456, "vm": null, "log": ""}], '
                      b'"decisions": ["scale out: 1 -> 2 instances"]}]}\n',
        "stats": b'{"ok": true, "stats": {"port0_rx": 123456789, "port0_tx": 7, '
                 b'"drop_no_rule": 1234567, "uptime_s": 123456789}}\n',
    })

    chk.section("the manager's answer")
    rc, out, raw, err = ctl(env, "-s", sock, "vm", "stop", "fw1")
    chk.ok(rc == 0 and out == {"ok": True}, "vm stop: the answer as JSON, exit 0",
           f"rc={rc} {raw!r} {err!r}")
    rc, out, raw, err = ctl(env, "-s", sock, "vm", "start", b"\xff\xfe")
    chk.ok(out is not None, "an answer echoing bytes that are not UTF-8 is valid JSON",
           f"rc={rc} {raw!r}")
    chk.ok(rc == 1 and out is not None and out.get("ok") is False and
           "'\ufffd\ufffd'" in out.get("error", ""),
           "each bad byte became U+FFFD; exit 1 as the answer says", f"rc={rc} {out!r}")

    chk.section("metrics: counters past 2^63 - 1 as they are")
    r = subprocess.run([env.binary(CTL), "-s", sock, "metrics"], capture_output=True,
                       text=True, timeout=30)
    lines = set(r.stdout.splitlines())
    for want in ("netvm_cmd_sent_total 18446744073709551615",
                 'netvm_port_rx_packets_total{port="0"} 9223372036854775808',
                 'netvm_nf_published{nf="3",role="1",counter="big"} 18446744073709551614',
                 'netvm_nf_published{nf="3",role="1",counter="small"} 5'):
        chk.ok(r.returncode == 0 and want in lines, f"metrics: {want}",
               f"rc={r.returncode} {r.stdout[-600:]!r} {r.stderr!r}")

    chk.section("tables")
    # without --json: aligned tables (docs/manager.md §7: columns two blanks
    # apart, numbers right-aligned); no line ends in a blank, even when the
    # last column is numbers wider than its header
    for words, want in ((("nf", "list"), ["NF  VM   ROLE  RX", " 3  fw1     1  123456789",
                                          "12  -       2          5"]),
                        (("stats",), ["ports:", "port  rx         tx", "   0  123456789   7", "",
                                      "drops:", "REASON   PACKETS", "no_rule  1234567", "",
                                      "other counters:", "COUNTER   VALUE",
                                      "uptime_s  123456789"]),
                        (("vm", "list"), ["NAME  STATE   LAUNCHER  ROLE  NF  PID  UPTIME  "
                                          "RESTARTS  LAST DOWN",
                                          "fw1   failed  qemu         2   -    -       -  "
                                          "       5  " + LONG_DOWN]),
                        (("idle", "list"), ["NAME   STATE  PID   NF  ROLE  NFS  "
                                            "COMMAND / LAST ERROR",
                                            "idle0  idle   4242   -     -    0  -",
                                            "idle1  busy   4243   3     1    1  "
                                            "/bin/netvm-bridge -r 1",
                                            "provisioned 1, replaced 0, retired 0"]),
                        (("scale", "list"), ["role 1: process, min 1 max 3, running 2, mean "
                                             "load 41 (out above 16, in below 2), scale-outs "
                                             "1, scale-ins 0, failed starts 0",
                                             "  INSTANCE  STATE     NF  PID     VM  LOG",
                                             "  r1-1      running    0    4711  -   "
                                             "/run/netvm/r1-1.log",
                                             "  r1-2      starting   -  123456  -   -",
                                             "  > scale out: 1 -> 2 instances"])):
        r = subprocess.run([env.binary(CTL), "-s", sock] + list(words), capture_output=True,
                           text=True, timeout=30)
        lines = r.stdout.splitlines()
        chk.ok(r.returncode == 0 and lines == want and
               not any(ln != ln.rstrip() for ln in lines),
               f"{' '.join(words)}: the table, no line ending in a blank",
               f"rc={r.returncode} {r.stdout!r} {r.stderr!r}")

    chk.section("failures with no answer")
    cases = (
        (("-s", env.path("none.sock"), "vm", "list"), "cannot reach netvm-manager"),
        (("-c", env.path("none.sock"), "role", "list"), "cannot reach the core engine"),
        (("-c", env.path("none.sock"), "nf", "cmd", "3", "help"), "cannot reach the core engine"),
        (("-s", sock, "vm", "cmd", "nope", "help"), "no VM named nope"),
    )
    for args, want in cases:
        rc, out, raw, err = ctl(env, *args)
        chk.ok(rc == 1 and out is not None and out.get("ok") is False and
               want in out.get("error", "") and want in err,
               f"{' '.join(args[2:])}: {{\"ok\": false, \"error\": \"...{want}...\"}}, "
               "the same on stderr, exit 1", f"rc={rc} {raw!r} {err!r}")

    chk.section("another user's sockets")
    core_other = env.path("other-core.sock")
    other = Silent(core_other + ".ctl")
    if os.geteuid() != 0:
        print("  not root: no other user to run netvmctl as; skipped", flush=True)
    else:
        os.chmod(env.workdir, 0o755)  # nobody reaches the sockets, and is refused there
        for path in (sock, core_other + ".ctl"):
            os.chmod(path, 0o600)
        for args, want in ((("-s", sock, "vm", "list"),
                            f"cannot reach netvm-manager at {sock}: Permission denied (it is "
                            "mode 0600, the user's of netvm-manager: run as root)"),
                           (("-c", core_other, "rule", "list"),
                            f"socket {core_other}.ctl: Permission denied (it is mode 0600, "
                            "the user's of netvm-core: run as root)"),
                           (("-c", core_other, "nf", "cmd", "3", "help"),
                            "Permission denied (it is mode 0600, the user's of netvm-core")):
            r = subprocess.run([env.binary(CTL), "--json"] + list(args), capture_output=True,
                               timeout=30, user=65534, group=65534, extra_groups=[])
            err = r.stderr.decode("utf-8", "replace")
            try:
                out = json.loads(r.stdout)
            except ValueError:
                out = None
            chk.ok(r.returncode == 1 and want in err and out is not None and
                   want in out.get("error", "") and "is it running" not in err and
                   "running?" not in err,
                   f"as nobody: {' '.join(args[2:])}: exit 1, '...{want[-60:]}'",
                   f"rc={r.returncode} {err!r}")
        os.chmod(env.workdir, 0o700)
    other.sock.close()

    chk.section("a socket path too long")
    long_core = "/tmp/" + "c" * 110
    for args, want in ((("-c", long_core, "rule", "list"),
                        f"the core engine's command socket path {long_core}.ctl is longer "
                        "than 107 bytes"),
                       (("-c", long_core, "nf", "cmd", "3", "help"), "is longer than 107"),
                       (("-s", long_core, "vm", "list"), "socket path too long")):
        rc, out, raw, err = ctl(env, *args)
        chk.ok(rc == 1 and want in err and out is not None and want in out.get("error", ""),
               f"{args[0]} PATH(115 bytes) {' '.join(args[2:])}: exit 1, '...{want}'",
               f"rc={rc} {err!r}")

    chk.section("usage errors")
    for args in (("frobnicate",), ("role", "name", "4", "x\ny")):
        rc, out, raw, err = ctl(env, *args)
        chk.ok(rc == 2 and out is not None and out.get("ok") is False and out.get("error"),
               f"{' '.join(args)!r}: {{\"ok\": false, ...}}, exit 2", f"rc={rc} {raw!r}")
    # option errors: the message on stderr is the JSON object's error
    for first, args, want in (((), ("-t", "0", "rule", "list"), "--timeout: 1..600 seconds"),
                              ((), ("-t", "601", "vm", "list"), "--timeout: 1..600 seconds"),
                              ((), ("-t", " 5", "rule", "list"), "--timeout: 1..600 seconds"),
                              ((), ("-t", "+5", "rule", "list"), "--timeout: 1..600 seconds"),
                              ((), ("--timeout=", "vm", "list"), "--timeout: 1..600 seconds"),
                              ((), ("-x", "rule", "list"), "option -x is unknown"),
                              (("-x",), ("rule", "list"), "option -x is unknown"),
                              ((), ("--bogus", "vm", "list"), "option --bogus is unknown"),
                              ((), ("-s",), "option -s needs an argument")):
        rc, out, raw, err = ctl(env, *args, first=first)
        chk.ok(rc == 2 and out is not None and out.get("ok") is False and
               want in out.get("error", "") and want in err,
               f"{' '.join(first + ('--json',) + args)}: {{\"ok\": false, \"error\": "
               f"\"...{want}...\"}}, exit 2", f"rc={rc} {raw!r} {err!r}")

    chk.section("a VM name or a migration URI that is not one word is a usage error")
    for words, want in ((("vm", "start", ""), "vm start: '' is not a VM name"),
                        (("vm", "stop", "a b"), "vm stop: 'a b' is not a VM name"),
                        (("vm", "start", "x\ty"), "is not a VM name (one word, 1..1023 bytes"),
                        (("vm", "migrate", "v" * 1024), "vm migrate: 'vvvv"),
                        (("vm", "migrate", "fw1", "--to", "unix:/a b"),
                         "'unix:/a b' is not a migration URI (one word, 1..115 bytes")):
        before = len(fm.requests)
        rc, out, raw, err = ctl(env, "-s", sock, *words)
        chk.ok(rc == 2 and out is not None and want in out.get("error", "") and want in err
               and len(fm.requests) == before,
               f"{' '.join(words)[:40]!r}: exit 2, '...{want}...', nothing asked",
               f"rc={rc} {raw[:300]!r} {err[:300]!r}")

    chk.section("an argument that is not an NF instance id is a usage error")
    core = env.path("core.sock")
    fc = FakeCore(core + ".ctl")
    for words in (("nf", "counters", "x"), ("nf", "counters", "-1"), ("nf", "counters", "+3"),
                  ("nf", "counters", "70000"), ("nf", "counters", "3x"), ("nf", "counters", ""),
                  ("nf", "stop", "x"), ("nf", "move", "x"), ("nf", "cmd", "x", "help"),
                  ("nf", "cmd", "70000", "help"), ("nf", "cmd", "-1", "help")):
        before = len(fm.requests)
        rc, out, raw, err = ctl(env, "-s", sock, "-c", core, *words)
        chk.ok(rc == 2 and out is not None and out.get("ok") is False and
               "NF instance id" in out.get("error", "") and len(fm.requests) == before,
               f"{' '.join(words)!r}: a usage error, exit 2, nothing asked",
               f"rc={rc} {raw!r} {err!r} {fm.requests[before:]}")

    # leading zeros are decimal digits too: the id is sent as a number
    for word, sent_id in (("0000003", 3), ("00000000", 0), ("0065535", 65535)):
        before = len(fc.requests)
        rc, out, raw, err = ctl(env, "-c", core, "nf", "cmd", word, "help")
        sent = fc.requests[before:]
        chk.ok(rc == 0 and sent == [(f"nf {sent_id} 5 10000", 5)],
               f"nf cmd {word} help: NF {sent_id}, exit 0", f"rc={rc} {err!r} {sent}")

    r = subprocess.run([env.binary(CTL), "-c", core, "nf", "cmd", "4242", "help"],
                       capture_output=True, text=True, timeout=30)
    chk.ok(r.returncode == 1 and
           "netvmctl: nf 4242: status -2147483648, which is no errno: bad" in r.stderr,
           "an NF's status that is no errno (INT_MIN): exit 1, said as a number",
           f"rc={r.returncode} {r.stderr!r}")

    chk.section("a core command's value that must be one word")
    # the core splits the line again: 'fw 1' would make chain fw = 1,2
    for words in (("chain", "set", "fw 1", "2"), ("chain", "set", "", "1"),
                  ("chain", "del", "a b"), ("rule", "del", "0 1"), ("rule", "del", ""),
                  ("role", "name", "3", "fw 2"), ("role", "name", "3", ""),
                  ("instance", "drain", "1\t2"), ("dos", "set", "src_pps", "5 6")):
        before = len(fc.requests)
        rc, out, raw, err = ctl(env, "-c", core, *words)
        want = f"{words[0]} {words[1]}: '{words[-1] if words[0] != 'chain' else words[2]}'"
        chk.ok(rc == 2 and out is not None and "is not one word" in out.get("error", "") and
               want in err and fc.requests[before:] == [],
               f"{' '.join(map(repr, words))}: exit 2, '{want}' is not one word, nothing sent",
               f"rc={rc} {raw[:200]!r} {err!r} {fc.requests[before:]}")
    for words in (("chain", "set", "fw", "1,", "2"), ("rule", "add", "0", "{ role = 1; }"),
                  ("default", "set", "{ role = 1; }")):
        before = len(fc.requests)
        rc, out, raw, err = ctl(env, "-c", core, *words)
        chk.ok(rc == 0 and len(fc.requests) == before + 1,
               f"{' '.join(map(repr, words))}: free text, sent", f"rc={rc} {err!r}")

    chk.section("-f: at most 16 MiB in all, the command line with the file")
    big = env.path("big.bin")
    limit = 16 << 20
    for size, rc_want, want in ((limit - len("help\n"), 0, None),
                                (limit, 1, f"longer than {limit} bytes in all"),
                                (limit + 1, 1, f"larger than {limit} bytes")):
        with open(big, "wb") as f:
            f.truncate(size)
        before = len(fc.requests)
        rc, out, raw, err = ctl(env, "-c", core, "-f", big, "nf", "cmd", "3", "help")
        sent = fc.requests[before:]
        if want is None:
            chk.ok(rc == 0 and sent == [(f"nf 3 {limit} 10000", limit)],
                   f"a file of {size} bytes: with 'help\\n' exactly 16 MiB, sent whole, exit 0",
                   f"rc={rc} {raw[:200]!r} {err!r} {sent}")
        else:
            chk.ok(rc == rc_want and want in err and sent == [] and
                   (size == limit + 1 or "larger than" not in err),
                   f"a file of {size} bytes: refused, exit 1, '...{want}...'",
                   f"rc={rc} {raw[:200]!r} {err!r} {sent}")
    os.unlink(big)
    # a file that opens but cannot be read: the reason, not a bare "read error"
    for words in (("-f", env.workdir, "nf", "cmd", "3", "help"),
                  ("core", "reload", env.workdir)):
        before = len(fc.requests)
        rc, out, raw, err = ctl(env, "-c", core, *words)
        want = f"{env.workdir}: Is a directory"
        chk.ok(rc == 1 and want in err and out is not None and
               want in out.get("error", "") and fc.requests[before:] == [],
               f"{' '.join(w if w != env.workdir else 'DIR' for w in words)}: "
               "exit 1, 'DIR: Is a directory', nothing sent", f"rc={rc} {raw!r} {err!r}")

    chk.section("an answer that cannot be written to stdout is a failure")
    for json_opt in ((), ("--json",)):
        for words in (("-s", sock, "vm", "list"), ("-c", core, "nf", "cmd", "3", "help")):
            argv = [env.binary(CTL)] + list(json_opt) + list(words)
            what = " ".join(json_opt + words[2:])
            with open("/dev/full", "wb") as full:
                r = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, timeout=30)
            err = r.stderr.decode("utf-8", "replace")
            chk.ok(r.returncode == 1 and "cannot write the answer to stdout: No space left"
                   in err, f"{what} > /dev/full: exit 1, stderr says why",
                   f"rc={r.returncode} {err!r}")
            r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               timeout=30)
            chk.eq(r.returncode, 0, f"{what} > /dev/null: exit 0")

    chk.section("the textfile snippet of docs/operations-basics.md")
    snippet = textfile_snippet(env)
    if not chk.ok(snippet is not None, "the snippet is in operations-basics.md \"Metrics\""):
        env.done(chk)
    textdir = env.path("textfile")
    os.mkdir(textdir)
    prom = os.path.join(textdir, "netvm.prom")
    for manager, ok in ((sock, True), (env.path("absent.sock"), False)):
        script = snippet.replace("/var/lib/node_exporter/textfile", textdir)
        script = script.replace("netvmctl metrics", f"{env.binary(CTL)} -s {manager} metrics")
        r = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True,
                           timeout=30)
        with open(prom) if os.path.exists(prom) else open(os.devnull) as f:
            text = f.read()
        what = "manager answers" if ok else "no manager"
        chk.ok((r.returncode == 0) == ok and "netvm_port_rx_packets_total" in text,
               f"{what}: exit {'0' if ok else 'not 0'}, netvm.prom holds the metrics",
               f"rc={r.returncode} {text[:200]!r} {r.stderr[-300:]!r}")
        chk.eq(sorted(os.listdir(textdir)), ["netvm.prom"],
               f"{what}: no temporary file left beside netvm.prom")

    chk.section("-t bounds the wait for the core's answer")
    # a core that takes the connection and never answers (stopped, or its
    # control thread busy with a long rule change): -t 1 plus 2 s
    silent_core = env.path("silent-core.sock")
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.bind(silent_core + ".ctl")
    silent.listen(8)
    for words in (("nf", "cmd", "3", "help"), ("rule", "list")):
        rc, out, raw, err = ctl(env, "-t", "1", "-c", silent_core, *words, limit=6)
        want = (f"command socket {silent_core}.ctl did not answer within 3000 ms (is "
                "netvm-core stopped or busy? -t gives it longer)")
        chk.ok(rc == 1 and out is not None and want in out.get("error", "") and want in err,
               f"-t 1 {' '.join(words)}: a core that does not answer: exit 1 after 3 s, "
               "'did not answer within 3000 ms'", f"rc={rc} {raw!r} {err!r}")
    silent.close()

    chk.section("-t bounds every question to the manager")
    # a manager that takes the connection (the backlog) and never answers:
    # stopped, or its loop busy; one socket per command, so that no backlog fills
    commands = (("vm", "cmd", "fw1", "help"), ("vm", "list"), ("vm", "start", "fw1"),
                ("vm", "stop", "fw1"), ("vm", "migrate", "fw1"),
                ("vm", "migrate", "fw1", "--to", "unix:" + env.path("other.sock")),
                ("vm", "migrate", "fw1", "--to", "tcp:192.0.2.1:7000"),
                ("nf", "list"), ("nf", "counters", "3"), ("stats",), ("metrics",),
                ("scale", "list"), ("dos",), ("idle", "list"),
                ("nf", "start", "--role", "1", "--", "/bin/netvm-bridge"),
                ("nf", "stop", "3"), ("nf", "move", "3"),
                ("nf", "move", "3", "--state", "routes list", "routes load"))
    for i, words in enumerate(commands):
        path = env.path(f"silent{i}.sock")
        silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        silent.bind(path)
        silent.listen(8)
        # a netvmctl still waiting well after -t 1 would wait for ever: killed
        rc, out, raw, err = ctl(env, "-t", "1", "-s", path, *words, limit=4)
        chk.ok(rc == 1 and out is not None and out.get("ok") is False and
               "did not answer within 1 s" in out.get("error", "") and
               "did not answer within 1 s" in err,
               f"-t 1 {' '.join(words)}: a manager that does not answer: refused, exit 1, "
               "the JSON error and stderr say so", f"rc={rc} {raw!r} {err!r}")
        silent.close()
    env.done(chk)


if __name__ == "__main__":
    main()
