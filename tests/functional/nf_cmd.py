#!/usr/bin/env python3
"""nf_cmd: commands for NFs through the core (netvmctl nf cmd), and what the
core does when a client or an NF misbehaves on the control channel.

Ports 0 ("inside") and 1 ("outside") are veth pairs the test writes into and
captures (nvtest.twoport); every packet goes to role 1, netvm-firewall, its
allow action "pair". Role 2 is netvm-l3fwd (no traffic), role 3 a raw NF
the test drives by hand (nvtest.rawnf, nvtest.ctl).

  netlib    help, stats and reload answer through netvmctl; an unknown
            command, a missing NF, a bad option and `help`, `stats` or
            `reload` with words after it are refused with exit 1/2;
            netlib's own commands with data after their line (-f) are refused
  rules     `rules load` with rules that deny new web connections: the
            connection opened before goes on, a new SYN is dropped; the
            answer lists what was replaced (by-hand packet and byte counts);
            a file with an error is refused with NAME:LINE:COLUMN and the
            rules stay; `rules check`; `rules show` counts by hand and
            names the rules' NAME whole, however long; a 10 000-rule file
            (six times the pipe) loads; 10 loads while established traffic
            flows lose no frame
  telemetry /netvm/nf_counters,ID shows what `stats` says, once traffic stops;
            an ID with a sign or a blank is an error
  park      `park now`, `resume x`: refused, they take no words (the firewall runs
            on); `park`: the firewall answers commands but reads no packet; a second
            park and a resume when running are refused; after `resume` the
            frame that waited on its ring goes through
  l3fwd     `routes load` of a good and a bad route file
  core      bad request lines, lengths out of range, a client that goes away
            mid-request; a raw NF that never answers (time-out naming why),
            answers late (the stale answer skipped), and breaks its pipe
            (channel closed, -EPROTO for every later command); the firewall
            still answers after all of it
"""

import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from scapy.layers.inet import IP, TCP, UDP  # noqa: E402

from nvtest import check, ctl  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Nf  # noqa: E402
from nvtest.rawnf import NF_RUNNING, RawNf  # noqa: E402
from nvtest.fwframes import CONFIG, inside, outside  # noqa: E402
from nvtest.twoport import TwoPorts  # noqa: E402


RULES_V1 = """# port 0 is inside, port 1 outside
define inside 10.0.1.0/24
define web 10.0.2.80
in 0 allow tcp and dst port 80 and dst host web and src net inside
dir 0>1 allow udp and dst port 53
in 0 deny tcp dst port 22
"""
RULES_V2 = RULES_V1.replace("in 0 allow tcp and dst port 80", "in 0 deny tcp and dst port 80")
# line 5, rule 2: "tcpx" is no protocol; the pattern starts in column 15
RULES_BAD = RULES_V1.replace("dir 0>1 allow udp and", "dir 0>1 allow tcpx and")

ROUTES = "10.0.0.0/8 1\n192.168.0.0/16 0\n"
ROUTES_BAD = "10.0.0.0/8 1\n10.0.0.300/8 0\n"

A, WEB, DNS = "10.0.1.2", "10.0.2.80", "10.0.2.53"


SYN = inside(IP(src=A, dst=WEB), TCP(sport=40000, dport=80, flags="S", seq=1000))
SYNACK = outside(IP(src=WEB, dst=A), TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001))
DATA = inside(IP(src=A, dst=WEB), TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001)
              / (b"x" * 10))
NEW_SYN = inside(IP(src=A, dst=WEB), TCP(sport=40005, dport=80, flags="S"))
DNS_Q = inside(IP(src=A, dst=DNS), UDP(sport=5353, dport=53) / b"query")
SSH_SYN = inside(IP(src=A, dst=WEB), TCP(sport=40001, dport=22, flags="S"))


class Ctl:
    """netvmctl against this core, with the test's checker."""

    def __init__(self, env, chk, core):
        self.env, self.chk, self.core = env, chk, core

    def __call__(self, *args, data=None, opts=()):
        return ctl.netvmctl(self.env, ["-c", self.core.sock] + list(opts) + list(args),
                            data=data)

    def nf(self, nf_id, *words, data=None, opts=()):
        if data is not None:
            opts = list(opts) + ["-f", "-"]
        return self(*(["nf", "cmd", str(nf_id)] + list(words)), data=data, opts=opts)


def netlib_part(chk, nv, fw):
    chk.section("netlib's own commands")
    rc, out, err = nv.nf(fw.id, "help")
    chk.ok(rc == 0, "help: exit 0", err)
    chk.ok(all(w in out for w in ("stats", "reload", "rules load", "rules check", "rules show")),
           "help lists netlib's commands and the firewall's", out)
    rc, out, err = nv.nf(fw.id, "stats")
    counters = dict(line.split() for line in out.splitlines())
    chk.ok(rc == 0 and "rx" in counters and "established" in counters and
           "commands" in counters, "stats: netlib's and the firewall's counters", out[:300])
    # netlib's own commands take no words: refused, not run with the words left unread
    for words in (("help", "rules"), ("stats", "x"), ("reload", "new.rules")):
        rc, out, err = nv.nf(fw.id, *words)
        chk.ok(rc == 1 and f"firewall: '{words[0]}' takes no words after it" in err and
               "Invalid argument" in err, f"'{' '.join(words)}': exit 1, '{words[0]}' takes "
               "no words", f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(fw.id, "frobnicate", "now")
    chk.ok(rc == 1 and "unknown command 'frobnicate'" in err,
           "an unknown command: exit 1, says so", f"rc={rc} {err}")
    rc, out, err = nv.nf(fw.id, "rules")
    chk.ok(rc == 1 and "usage: rules load [NAME] | rules check [NAME]" in err,
           "'rules' alone: exit 1, the firewall's usage", f"rc={rc} {err}")
    rc, out, err = nv.nf(63, "help")
    chk.ok(rc == 1 and "no NF 63" in err, "a missing NF: exit 1, says so", f"rc={rc} {err}")
    rc, out, err = nv("nf", "cmd", "x1", "help")
    chk.eq(rc, 2, "an id that is not a number: usage error (2)")
    rc, out, err = nv("nf", "cmd", str(fw.id))
    chk.eq(rc, 2, "no command words: usage error (2)")
    # netlib's own commands take no data: -f with reload would not load the
    # file sent (reload reads the NF's own files), so it is refused
    for words in (("reload",), ("park",), ("resume",), ("stats",), ("help",)):
        rc, out, err = nv.nf(fw.id, *words, data=b"in 0 allow all\n")
        chk.ok(rc == 1 and f"'{words[0]}' takes no data after its line" in err,
               f"-f FILE {words[0]}: refused, exit 1, says it takes no data",
               f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(fw.id, "stats", data=b" \n\t\n")
    chk.ok(rc == 0 and "commands" in out, "stats with only blanks after its line: answered",
           f"rc={rc} {err}")


def rules_part(chk, nv, rig, rules_file):
    fw = rig.nf
    chk.section("rules load")
    for name, port, frame in (("SYN inside -> web:80", 0, SYN), ("its SYN+ACK", 1, SYNACK),
                              ("SSH SYN (denied by rule 3)", 0, SSH_SYN)):
        rig.send(port, [frame], name)
    got = rig.captured([1, 1])
    chk.eq(got, [[SYNACK], [SYN]], "v1: the web connection opens, SSH is denied")
    rc, out, err = nv.nf(fw.id, "rules", "load", "v2.rules", data=RULES_V2.encode())
    chk.ok(rc == 0, "rules load v2: exit 0", err)
    # by hand: rule 1 matched the SYN, rule 3 the SSH SYN; both 60-byte frames
    chk.ok(f"replaced rule 1 (line 4): 1 packets, {len(SYN)} bytes" in out and
           f"replaced rule 3 (line 6): 1 packets, {len(SSH_SYN)} bytes" in out and
           "3 rule(s) (0 stateless), 2 name(s), allow = pair, from v2.rules" in out,
           "the answer lists the replaced rules' counters and the new rules", out)
    for name, port, frame in (("data on the connection opened before", 0, DATA),
                              ("a new SYN to web:80", 0, NEW_SYN)):
        rig.send(port, [frame], name)
    got = rig.captured([0, 1])
    chk.eq(got, [[], [DATA]], "the open connection goes on; the new SYN is dropped")

    chk.section("a file with an error, rules check, rules show")
    rc, out, err = nv.nf(fw.id, "rules", "load", "bad.rules", data=RULES_BAD.encode())
    chk.ok(rc == 1 and "bad.rules:5:15: rule 2:" in err and "tcpx" in err,
           "refused: exit 1, names bad.rules:5:15, rule 2 and 'tcpx'", f"rc={rc} {err}")
    rc, out, err = nv.nf(fw.id, "rules", "check", "bad.rules", data=RULES_BAD.encode())
    chk.ok(rc == 1 and "bad.rules:5:15: rule 2:" in err, "rules check refuses it too", err)
    rc, out, err = nv.nf(fw.id, "rules", "load")
    chk.ok(rc == 1 and "no rules file was sent" in err,
           "rules load with no file (no -f): refused, exit 1, says so", f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(fw.id, "rules", "load", data=b"")
    chk.ok(rc == 1 and "no rules file was sent" in err, "rules load of an empty file: refused",
           f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(fw.id, "rules", "check", data=RULES_V1.encode())
    chk.ok(rc == 0 and out.startswith("would load: 3 rule(s)"), "rules check of v1: would load",
           f"rc={rc} {out} {err}")
    rig.send(0, [NEW_SYN], "the new SYN again")
    rig.send(0, [DNS_Q], "a DNS query")
    got = rig.captured([0, 1])
    chk.eq(got, [[], [DNS_Q]], "v2 stays in force (the refusals and check loaded nothing)")
    rc, out, err = nv.nf(fw.id, "rules", "show")
    lines = out.splitlines()
    chk.ok(rc == 0 and lines[0].endswith("from v2.rules") and len(lines) == 4,
           "rules show: a header and 3 rules", out)
    # v2: rule 1 denied NEW_SYN twice, rule 2 allowed the DNS query
    want = [f"1\tline 4\t2 packets\t{2 * len(NEW_SYN)} bytes\tin 0 deny tcp and dst port 80 "
            "and dst host web and src net inside",
            f"2\tline 5\t1 packets\t{len(DNS_Q)} bytes\tdir 0>1 allow udp and dst port 53",
            "3\tline 6\t0 packets\t0 bytes\tin 0 deny tcp dst port 22"]
    chk.eq(lines[1:], want, "each rule as written, with its packets and bytes")
    # a NAME of any length is said whole, by the load and by rules show after it
    long_name = "v2-" + "n" * 200 + ".rules"
    rc, out, err = nv.nf(fw.id, "rules", "load", long_name, data=RULES_V2.encode())
    chk.ok(rc == 0 and out.splitlines()[-1].endswith("from " + long_name),
           "rules load under a 209-byte NAME: the answer names it", f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(fw.id, "rules", "show")
    chk.ok(rc == 0 and out.splitlines()[0].endswith("from " + long_name),
           "rules show names it whole", f"rc={rc} {out} {err}")

    chk.section("10 000 rules through the pipe")
    big = "".join(f"in 1 deny src host 172.16.{i // 250}.{i % 250 + 1}\n" for i in range(10000))
    big += RULES_V1.replace("# port 0 is inside, port 1 outside\n", "")
    chk.ok(len(big) > 4 * 65536, f"the file is {len(big)} bytes, over 4 pipes' worth")
    t0 = time.monotonic()
    rc, out, err = nv.nf(fw.id, "rules", "load", "big.rules", data=big.encode(),
                         opts=["-t", "60"])
    chk.ok(rc == 0 and "10003 rule(s)" in out, "a 10 003-rule file loads",
           f"rc={rc} {out[-300:]} {err}")
    print(f"  info  loading 10 003 rules took {time.monotonic() - t0:.2f} s", flush=True)
    rig.send(0, [NEW_SYN], "a new SYN to web:80 (rule 10 001 allows it)")
    got = rig.captured([0, 1])
    chk.eq(got, [[], [NEW_SYN]], "the big rule set is in force")

    chk.section("10 rules loads while established traffic flows")
    stop = threading.Event()
    loads = []

    def loader():
        for i in range(10):
            text = RULES_V2 if i % 2 == 0 else RULES_V1
            loads.append(nv.nf(fw.id, "rules", "load", f"l{i}", data=text.encode())[0])
        stop.set()

    t = threading.Thread(target=loader, daemon=True)
    t.start()
    batches = 0
    while not stop.is_set() and batches < 400:
        if not rig.send(0, [DATA] * 20, f"batch {batches}"):
            break
        batches += 1
    t.join(60)
    chk.eq(loads, [0] * 10, "10 loads, each exit 0, while the batches went")
    got = rig.captured([0, 20 * batches])
    chk.eq((len(got[0]), len(got[1])), (0, 20 * batches),
           f"every one of the {20 * batches} frames sent during them left by port 1")
    with open(rules_file) as f:
        chk.eq(f.read(), RULES_V1, "rules load never touched the --rules file")


def telemetry_part(chk, nv, core, fw):
    chk.section("the NF's counters in the core's telemetry")
    rc, out, _ = nv.nf(fw.id, "stats")
    want = {k: int(v) for k, v in (line.split() for line in out.splitlines())}
    # the stats command itself moved "commands" on: compare the rest, waiting
    # for netlib's next publication (every 200 ms)
    keys = ["rx", "tx", "established", "allowed_new", "denied", "no_match", "ct_entries"]
    ok, got = False, {}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not ok:
        got = core.tel.command(f"/netvm/nf_counters,{fw.id}")
        ok = isinstance(got, dict) and all(got.get(k) == want[k] for k in keys)
        time.sleep(0.1)
    chk.ok(ok, "/netvm/nf_counters shows the firewall's counters as stats does",
           f"want {[(k, want.get(k)) for k in keys]}, got {[(k, got.get(k)) for k in keys]}")
    chk.ok(want["rx"] > 0 and want["established"] > 0, "and they counted the traffic",
           str(want)[:200])
    # the parameter is the id in decimal digits: nothing strtoul() would also
    # read (a sign, a blank, a negative number that wraps to the id) names an NF
    neg = f"-{(1 << 64) - fw.id}" if fw.id else "-0"
    for cmd in ("/netvm/nf", "/netvm/nf_counters"):
        for param in (neg, f"+{fw.id}", f" {fw.id}"):
            got = core.tel.command(f"{cmd},{param}")
            chk.eq(got, None, f"{cmd},{param!r}: an error (null), not NF {fw.id}'s counters")


def nf_rx(nv, fw):
    """netlib's rx counter of @fw (its `stats`), None when it does not answer."""
    rc, out, _ = nv.nf(fw.id, "stats")
    return dict(line.split() for line in out.splitlines()).get("rx") if rc == 0 else None


def park_part(chk, nv, rig):
    chk.section("park and resume: the queues stop, the rings keep the packets")
    fw = rig.nf
    for words in (("park", "now"), ("resume", "x")):
        rc, out, err = nv.nf(fw.id, *words)
        chk.ok(rc == 1 and f"firewall: '{words[0]}' takes no words after it" in err,
               f"'{' '.join(words)}': exit 1, '{words[0]}' takes no words (not 'unknown "
               "command')", f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(fw.id, "park")
    chk.ok(rc == 0 and "parked: 1 queue(s) stopped" in out, "park: exit 0, says so",
           f"rc={rc} {out} {err}")
    rx0 = nf_rx(nv, fw)
    rig.inj[0].send([DATA])
    time.sleep(0.5)
    chk.ok(rx0 is not None and nf_rx(nv, fw) == rx0, "parked: it still answers commands and "
           "reads no packet (its rx stays at %s)" % rx0)
    rc, out, err = nv.nf(fw.id, "park")
    chk.ok(rc == 1 and "parked already" in err, "park again: exit 1, parked already",
           f"rc={rc} {err}")
    rc, out, err = nv.nf(fw.id, "resume")
    chk.ok(rc == 0 and "running" in out, "resume: exit 0", f"rc={rc} {out} {err}")
    chk.eq(rig.captured([0, 1]), [[], [DATA]], "the frame that waited on the ring while the "
           "NF was parked goes through after resume")
    rc, out, err = nv.nf(fw.id, "resume")
    chk.ok(rc == 1 and "not parked" in err, "resume again: exit 1, not parked",
           f"rc={rc} {err}")


def l3fwd_part(chk, nv, l3):
    chk.section("l3fwd: routes load")
    rc, out, err = nv.nf(l3.id, "routes", "load", "new.routes", data=ROUTES.encode())
    chk.ok(rc == 0 and "2 routes" in out and "from new.routes" in out,
           "a route file loads: '2 routes ... from new.routes'", f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(l3.id, "routes", "load", "bad.routes", data=ROUTES_BAD.encode())
    chk.ok(rc == 1 and "bad.routes:2" in err, "a bad one is refused with its line",
           f"rc={rc} {err}")
    rc, out, err = nv.nf(l3.id, "routes", "load")
    chk.ok(rc == 1 and "no route file was sent" in err,
           "routes load with no file (no -f): refused, exit 1, says so", f"rc={rc} {out} {err}")
    rc, out, err = nv.nf(l3.id, "routes", "list")
    chk.eq(len([ln for ln in out.splitlines() if ln.strip()]), 2,
           "the 2 routes of new.routes stay in force")


def core_part(chk, env, nv, core, fw):
    sock = core.sock
    chk.section("the core's command socket: bad clients")
    st0 = core.stats()
    for what, raw, status in (
            ("a request line that is not one", b"hello there\n", -22),
            ("LEN 0", b"nf 0 0\n", -34),
            ("LEN over 16 MiB", b"nf 0 16777217\n", -34),
            ("a time-out of 0", b"nf 0 4 0\nhelp", -34),
            ("a line too long", b"nf " + b"1" * 100 + b"\n", -22),
            ("a time-out that is not a number", b"nf 0 4 abc\nhelp", -22),
            ("a word after the time-out", b"nf 0 4 100 x\nhelp", -22),
            ("an id with a sign", b"nf -1 4\nhelp", -22),
            ("a LEN with a sign", b"core +4\nhelp", -22),
            ("no space after the verb", b"nf1 4\nhelp", -22),
            ("a LEN in hex", b"core 0x4\nhelp", -22),
            ("a NUL byte in the request line", b"core 4\0junk\nhelp", -22),
            ("a NUL byte ending the request line", b"nf 0 4\0\nhelp", -22),
            ("an NF id out of range", b"nf 999 4\nhelp", -2)):
        got, text = ctl.core_request(sock, raw)
        chk.ok(got == status and text, f"{what}: status {status} with a reason",
               f"{got} {text!r}")
    for nf_id in ("999", "4294967296"):
        got, text = ctl.core_request(sock, b"nf %s 4\nhelp" % nf_id.encode())
        chk.ok(got == -2 and f"no NF {nf_id} is attached" in text,
               f"the refusal names the id asked for ({nf_id})", text)
    # a client that shuts its side before its request is whole reads why
    for what, raw in (("the request line", b"core 4"), ("the body", b"core 100\nhelp")):
        got, text = ctl.core_request(sock, raw, shut=True)
        chk.ok(got == -22 and "cut short" in text,
               f"a request cut short in {what}: -EINVAL, says so", f"{got} {text!r}")
    # a core command is text: a NUL byte would cut it (or a rule, a file) short
    rules0 = nv("rule", "list")[1]
    # the words of a command are parted by any number of blanks
    for line in (b"rule  list", b"rule \t list", b"  rule list  "):
        got, text = ctl.core_request(sock, b"core %d\n%s" % (len(line), line))
        chk.ok(got == 0 and text == rules0, f"{line!r} lists the rules as 'rule list' does",
               f"{got} {text!r}")
    got, text = ctl.core_request(sock, b"core 14\nrule list\0junk")
    chk.ok(got == -22 and "NUL" in text, "a NUL in a core command: -EINVAL, says so",
           f"{got} {text!r}")
    nul_rule = env.path("nul.rules")
    with open(nul_rule, "wb") as f:
        f.write(b'{ dst = "10.9.0.0/16"; role = 2; }\0, { in_port = 1; role = 2; }\n')
    rc, out, err = nv("-f", nul_rule, "rule", "add")
    chk.ok(rc == 1 and "NUL" in err and nv("rule", "list")[1] == rules0,
           "rule add of a file with a NUL: refused, no rule added", f"rc={rc} {out} {err}")
    # 16 clients that send nothing hold every slot: the next one, netvmctl
    # still sending a file the core will not read, shows the core's refusal
    held = []
    for _ in range(16):
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock + ".ctl")
        held.append(s)
    big = env.path("big.data")
    with open(big, "wb") as f:
        f.write(b"x" * (1 << 20))
    rc, out, err = nv.nf(fw.id, "rules", "check", opts=["-f", big])
    chk.ok(rc == 1 and "too many command clients" in err,
           "with 16 clients connected: netvmctl shows -EBUSY, too many clients",
           f"rc={rc} {err}")
    for s in held:
        s.close()
    rc, out, err = nv.nf(fw.id, "help")
    chk.ok(rc == 0, "once they are gone, commands are served again", f"rc={rc} {err}")
    # a core that takes no connection (its control thread busy or stuck):
    # its backlog full, netvmctl gives up after -t plus its margin
    stuck = env.path("stuck.sock")
    lsn = socket.socket(socket.AF_UNIX)
    lsn.bind(stuck + ".ctl")
    lsn.listen(0)
    queued = []
    for _ in range(4):
        s = socket.socket(socket.AF_UNIX)
        s.setblocking(False)
        try:
            s.connect(stuck + ".ctl")
        except BlockingIOError:
            s.close()
            break
        queued.append(s)
    try:
        rc, out, err = ctl.netvmctl(env, ["-c", stuck, "-t", "1", "nf", "cmd", "0", "help"],
                                    timeout=60)
    except subprocess.TimeoutExpired:
        rc, err = None, "netvmctl still waits after 60 s"
    chk.ok(rc == 1 and "took no connection" in err,
           "a core whose backlog is full: netvmctl -t 1 gives up, exit 1, says so",
           f"rc={rc} {err}")
    for s in queued + [lsn]:
        s.close()
    # a client that sends half its request and goes away
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock + ".ctl")
    s.sendall(b"nf %d 100\nrules" % fw.id)
    s.close()
    ok, st = core.tel.wait_for(lambda x: x.get("cmd_abandoned", 0) > st0.get("cmd_abandoned", 0),
                               5)
    chk.ok(ok, "a client gone mid-request is counted (cmd_abandoned)")

    chk.section("a raw NF on the channel")
    raw = RawNf(sock, 3)
    env.add_cleanup(raw.close)
    raw.set_state(NF_RUNNING)
    chan = ctl.RawChannel(raw)
    st0 = core.stats()
    t0 = time.monotonic()
    rc, out, err = nv.nf(raw.nf_id, "help", opts=["-t", "1"])
    took = time.monotonic() - t0
    chk.ok(rc == 1 and "did not answer within 1000 ms" in err and "has not read" in err,
           "an NF that never reads: time-out after 1 s, saying it did not read", err)
    chk.ok(took < 10, f"netvmctl came back ({took:.1f} s)")
    st = core.stats()
    # docs/core.md: a time-out is cmd_timeouts; cmd_errors counts refusals
    chk.eq({k: st.get(k, 0) - st0.get(k, 0) for k in ("cmd_sent", "cmd_timeouts", "cmd_errors")},
           {"cmd_sent": 1, "cmd_timeouts": 1, "cmd_errors": 0},
           "the time-out is counted in cmd_timeouts, not in cmd_errors")
    req = chan.read_request()
    chk.ok(req is not None and req[1] == b"help\n", "the request sat in its pipe, whole",
           str(req))
    # answer that old request late, then serve the next one properly
    st0 = core.stats()
    chan.answer(req[0], 0, b"too late")
    result = {}

    def ask():
        result["r"] = nv.nf(raw.nf_id, "ping", opts=["-t", "10"])

    t = threading.Thread(target=ask)
    t.start()
    deadline = time.monotonic() + 10
    nxt = None
    while nxt is None and time.monotonic() < deadline:
        nxt = chan.read_request()
        time.sleep(0.01)
    if chk.ok(nxt is not None and nxt[1] == b"ping\n" and nxt[0] == req[0] + 1,
              "the next request: the next number", str(nxt)):
        chan.answer(nxt[0], 0, b"pong\n")
    t.join(15)
    rc, out, err = result.get("r", (None, "", ""))
    chk.ok(rc == 0 and out == "pong\n", "its answer reaches netvmctl; the late one does not",
           f"rc={rc} out={out!r} err={err}")
    st = core.stats()
    chk.eq(st.get("cmd_stale", 0) - st0.get("cmd_stale", 0), 1, "the late answer: cmd_stale 1")

    chk.section("a raw NF that breaks its answer pipe")
    chan.corrupt_answer_index()
    rc, out, err = nv.nf(raw.nf_id, "help", opts=["-t", "5"])
    chk.ok(rc == 1 and "broke its control channel" in err, "-EPROTO: it broke the channel", err)
    rc, out, err = nv.nf(raw.nf_id, "help", opts=["-t", "5"])
    chk.ok(rc == 1 and "takes no more commands" in err, "and takes no more commands", err)
    chk.eq(core.stats().get("cmd_broken"), 1, "cmd_broken 1")
    # a bad magic from another raw NF
    raw2 = RawNf(sock, 3)
    env.add_cleanup(raw2.close)
    raw2.set_state(NF_RUNNING)
    chan2 = ctl.RawChannel(raw2)
    t = threading.Thread(target=lambda: result.__setitem__(
        "r2", nv.nf(raw2.nf_id, "help", opts=["-t", "10"])))
    t.start()
    deadline = time.monotonic() + 10
    req = None
    while req is None and time.monotonic() < deadline:
        req = chan2.read_request()
        time.sleep(0.01)
    chan2.answer(req[0] if req else 1, 0, b"x", magic=0xdeadbeef)
    t.join(15)
    rc, out, err = result.get("r2", (None, "", ""))
    chk.ok(rc == 1 and "malformed" in err, "an answer with a bad magic breaks the channel",
           f"rc={rc} {err}")
    rc, out, err = nv.nf(fw.id, "rules", "show")
    chk.ok(rc == 0 and core.alive(), "the core and the firewall's channel are unharmed", err)
    raw.close()
    raw2.close()
    ok, _ = core.tel.wait_for(lambda x: x.get("nfs_attached") == 2, 10)
    chk.ok(ok, "the raw NFs detach")


def main():
    env = nvenv.setup("nf_cmd", timeout=280, description=__doc__)
    chk = check.Checker("nf_cmd")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.FIREWALL_BIN, nvenv.L3FWD_BIN,
                                      "manager/netvmctl"])
    rig = TwoPorts(env, chk, "nc", CONFIG)
    err = rig.core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    rules = env.path("fw.rules")
    with open(rules, "w") as f:
        f.write(RULES_V1)
    routes = env.path("l3.routes")
    with open(routes, "w") as f:
        f.write(ROUTES)
    rig.nf = Nf(env, rig.core, nvenv.FIREWALL_BIN, 1, ["--rules", rules], name="firewall")
    err = rig.nf.start_attached()
    if not chk.ok(err is None, "the firewall attaches", err or ""):
        env.done(chk)
    l3 = Nf(env, rig.core, nvenv.L3FWD_BIN, 2, ["--mode", "lpm", "--routes", routes],
            name="l3fwd")
    err = l3.start_attached()
    if not chk.ok(err is None, "l3fwd attaches", err or ""):
        env.done(chk)
    nv = Ctl(env, chk, rig.core)
    netlib_part(chk, nv, rig.nf)
    rules_part(chk, nv, rig, rules)
    telemetry_part(chk, nv, rig.core, rig.nf)
    park_part(chk, nv, rig)
    l3fwd_part(chk, nv, l3)
    core_part(chk, env, nv, rig.core, rig.nf)
    rc, counters = rig.nf.stop_counters()
    chk.eq(rc, 0, "the firewall exits 0")
    chk.ok(counters.get("commands", 0) >= 20, "it counted the commands it served",
           str(counters.get("commands")))
    l3.stop(timeout=10)
    rig.core.stop_checked(chk)
    env.done(chk)


if __name__ == "__main__":
    main()
