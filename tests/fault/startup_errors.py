#!/usr/bin/env python3
"""startup_errors: the core (and an NF) refuse bad start-up input with a clear message.

Each case must end the core by itself (no hang), with a non-zero exit status
that is not a signal, a message on stderr naming what is wrong (config
FILE:LINE, the socket path, the hugepage directory, the device), and no pool
file left in the hugepage directory.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, pcaps  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Proc, check_help_before_eal  # noqa: E402

GOOD = """core = {
  pool_buffers = 4096;
};
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""

# (name, config text, line the error is on, words the message must contain)
BAD_CONFIGS = [
    ("syntax error", 'core = {\n  pool_buffers = 4096;\n  ring_size = = 256;\n};\n', 3, []),
    ("unknown key", 'core = {\n  pool_buffers = 4096;\n\n  pool_bufers = 4096;\n};\n', 4,
     ["pool_bufers"]),
    ("wrong type", 'core = {\n  pool_buffers = "many";\n};\n', 2, ["pool_buffers"]),
    ("out of range", 'core = {\n  pool_buffers = 4096;\n  ring_size = 1000;\n};\n', 3,
     ["ring_size"]),
    ("unknown chain", 'core = { pool_buffers = 4096; };\nrules = (\n'
     '  { in_port = 0; role = 1; },\n  { dst = "10.0.0.0/8"; chain = "nope"; }\n);\n', 4,
     ["nope"]),
    ("rule with two targets", 'core = { pool_buffers = 4096; };\nrules = (\n'
     '  { in_port = 0; role = 1; action = "drop"; }\n);\n', 3, []),
    ("an MTU longer than a buffer", 'core = {\n  pool_buffers = 4096;\n  mtu = 9000;\n};\n', 3,
     ["core.mtu", "set buffer_size = 16384"]),
    # the core has one port (net_null0): a rule for port 1 would never match
    ("an in_port of a port the core does not have", 'core = { pool_buffers = 4096; };\n'
     'rules = (\n  { in_port = 0; role = 1; },\n  { in_port = 1; role = 1; }\n);\n', 4,
     ["rules[1].in_port: port 1, but the core has only 1 port(s) (ports 0..0, from the EAL "
      "options)"]),
    # libconfig's scanner would end the core with its own words, status 2
    ("an @include of a directory", 'core = { pool_buffers = 4096; };\n@include "."\n', 2,
     ["syntax: cannot include '.': Is a directory"]),
]


def expect_failure(env, chk, what, core, words, timeout=30.0):
    """Run @core until it exits; check it failed cleanly and said @words on stderr."""
    try:
        core.start()
    except OSError as exc:
        chk.ok(False, f"{what}: core runs", str(exc))
        return
    rc = core.wait(timeout)
    if rc is None:
        core.kill()
        chk.ok(False, f"{what}: core exits by itself", f"still running after {timeout:.0f} s")
        return
    err = core.stderr()
    chk.ok(rc > 0, f"{what}: non-zero exit, not a signal", f"status {rc}:{core.tail()}")
    missing = [w for w in words if w not in err]
    chk.ok(err.strip() and not missing, f"{what}: stderr names {words or 'the error'}",
           f"missing {missing}; stderr:{core.tail()}")
    chk.eq(nvenv.pool_files(core.prefix), [], f"{what}: no pool file left in {nvenv.HUGE_DIR}")


def nf_refuses(env, chk, name, argv, what):
    """Run the NF @argv (named @name) until it exits: it must exit non-zero
    by itself within 15 s. Returns its stderr."""
    nf = Proc(env, name, argv)
    try:
        nf.start()
        rc = nf.wait(15)
    except OSError as exc:
        rc = f"cannot run: {exc}"
    if rc is None:
        nf.kill()
    chk.ok(isinstance(rc, int) and rc > 0, f"{what}: exits non-zero by itself", f"status {rc}")
    return nf.stderr()


def check_help(env, chk):
    """--help, before or after "--", prints the usage and starts no DPDK."""
    core_bin = env.binary(nvenv.CORE_BIN) or os.path.join(env.build_dir, nvenv.CORE_BIN)
    prefix = env.unique("help")
    check_help_before_eal(env, chk, core_bin, prefix,
                          (["--help"], ["-h"], ["--file-prefix", prefix, "--", "--help"],
                           ["--file-prefix", prefix, "--", "-c", "x.conf", "-h"]),
                          ("usage: netvm-core", "--config"))


def main():
    env = nvenv.setup("startup_errors", timeout=280, description=__doc__)
    chk = check.Checker("startup_errors")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, nvenv.MACSWAP_BIN])
    empty = env.path("empty.pcap")
    pcaps.write(empty, [])
    null_port = ["net_null0,no-rx=1"]

    chk.section("--help")
    check_help(env, chk)

    chk.section("bad configuration files")
    for i, (name, text, line, words) in enumerate(BAD_CONFIGS):
        path = env.path(f"bad{i}.conf")
        with open(path, "w") as f:
            f.write(text)
        core = Core(env, "e", None, null_port, config_path=path)
        expect_failure(env, chk, f"config {name}", core, [f"{path}:{line}"] + words)

    missing = env.path("no-such.conf")
    core = Core(env, "e", None, null_port, config_path=missing)
    expect_failure(env, chk, "missing config file", core, [missing])

    other = GOOD.replace("pool_buffers = 4096;",
                         'pool_buffers = 4096;\n  file_prefix = "someone-else";')
    core = Core(env, "e", other, null_port)
    expect_failure(env, chk, "core.file_prefix that is not the EAL's", core,
                   ["someone-else", "--file-prefix"])

    chk.section("bad core options")
    # (options after the harness's own, words the message must contain)
    for i, (extra, words) in enumerate(((["--stats", ""], ["--stats", "''"]),
                                        (["--wait-nfs", ""], ["--wait-nfs", "''"]),
                                        (["--stats", "+5"], ["--stats", "'+5'"]),
                                        (["--stats", " 5"], ["--stats", "' 5'"]),
                                        (["--wait-nfs", "+1"], ["--wait-nfs", "'+1'"]),
                                        (["--wait-nfs", "-0"], ["--wait-nfs", "'-0'"]),
                                        (["-s", ""], ["--socket", "empty"]),
                                        (["-c", ""], ["--config", "empty"]),
                                        (["stray"], ["unexpected argument 'stray'"]),
                                        (["--stats", "5", "10"], ["unexpected argument '10'"]))):
        core = Core(env, "e", GOOD, null_port, app_extra=extra)
        expect_failure(env, chk, f"netvm-core -- {' '.join(repr(a) for a in extra)}", core,
                       words)

    chk.section("attach socket already in use")
    sock_path = env.path("busy.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    env.add_cleanup(listener.close)
    core = Core(env, "e", GOOD, null_port, socket=sock_path)
    expect_failure(env, chk, "socket in use", core, [sock_path])
    chk.ok(os.path.exists(sock_path), "the other owner's socket file is left alone")

    chk.section("a file that is no socket where a socket goes")
    # only a stale socket is replaced: a mistyped path must not delete a file
    for what, sock_path, victim in (("attach", "file.sock", "file.sock"),
                                    ("command", "ctl.sock", "ctl.sock.ctl")):
        sock_path, victim = env.path(sock_path), env.path(victim)
        with open(victim, "w") as f:
            f.write("not a socket\n")
        core = Core(env, "e", GOOD, null_port, socket=sock_path)
        expect_failure(env, chk, f"a regular file at the {what} socket's path", core,
                       [victim, "is no socket"])
        chk.ok(os.path.isfile(victim), f"the file at the {what} socket's path is left alone")

    chk.section("no hugepages")
    nohuge = GOOD.replace("pool_buffers = 4096;",
                          'pool_buffers = 4096;\n  hugepage_dir = "/nonexistent";')
    core = Core(env, "e", nohuge, null_port)
    expect_failure(env, chk, "hugepage_dir = /nonexistent", core, ["/nonexistent"])
    plain_dir = env.path("not-hugetlbfs")
    os.mkdir(plain_dir)
    core = Core(env, "e", GOOD, null_port, eal_extra=["--huge-dir", plain_dir])
    expect_failure(env, chk, "--huge-dir on a plain directory", core, [])

    chk.section("bad devices")
    core = Core(env, "e", GOOD, ["net_pcap0,rx_pcap=/nonexistent/in.pcap,tx_pcap=" +
                                 env.path("o.pcap")])
    expect_failure(env, chk, "net_pcap with a missing rx_pcap", core, [])
    core = Core(env, "e", GOOD, [f"net_pcap0,rx_pcap={empty},tx_pcap={env.path('o.pcap')}",
                                 "net_af_packet1,iface=nvnosuchif0"])
    expect_failure(env, chk, "a second vdev that does not come up (not a core with one port)",
                   core, ["--vdev net_af_packet1 did not come up as a port"])
    core = Core(env, "e", GOOD, ["net_nosuchdriver0"])
    expect_failure(env, chk, "unknown vdev driver", core, [])
    core = Core(env, "e", GOOD, [f"net_pcap0,rx_pcap={empty},bogus_arg=1"])
    expect_failure(env, chk, "unknown vdev argument", core, [])
    jumbo = GOOD.replace("pool_buffers = 4096;",
                         "pool_buffers = 1024; buffer_size = 16384; mtu = 9000;")
    core = Core(env, "e", jumbo, ["net_af_packet0,iface=lo"])
    expect_failure(env, chk, "core.mtu 9000 on net_af_packet (DPDK 22.11 refuses it)", core,
                   ["port 0 (net_af_packet): MTU 9000 refused", "lower core.mtu"])

    chk.section("an NF with no core engine")
    nocore = env.path("no-core.sock")
    err = nf_refuses(env, chk, "bridge-no-core",
                     [env.binary(nvenv.BRIDGE_BIN) or nvenv.BRIDGE_BIN, "-s", nocore, "-r", "1"],
                     "bridge without a core")
    chk.ok(nocore in err, "its message names the socket path", err[-400:])

    chk.section("an NF's netlib option with a bad value (found before attaching)")
    # (options after -s, the option named, what the message says after it)
    for i, (args, named, why) in enumerate(((["-r", "300"], "option -r",
                                             " (a decimal number, 0..255)"),
                                            (["-r", "1", "--stats", "0x5"], "option --stats",
                                             " (a decimal number, 0..86400)"),
                                            (["--role=1", "-q", "0"], "option -q",
                                             " (a decimal number, 1..8)"),
                                            (["--role=1", "-q", "+1"], "option -q",
                                             " (a decimal number, 1..8)"),
                                            (["-r", " 1"], "option -r",
                                             " (a decimal number, 0..255)"),
                                            (["-r", "1", "--sleep-after-us", "20000000"],
                                             "option --sleep-after-us",
                                             " (a decimal number, 0..10000000)"),
                                            (["-r", "1", "-s", ""], "option -s",
                                             ": the path is empty"),
                                            (["-r", "1", "--socket="], "option --socket",
                                             ": the path is empty"))):
        what = "netvm-bridge " + " ".join(args)
        value = args[-1].split("=", 1)[1] if args[-1].startswith("--") else args[-1]
        err = nf_refuses(env, chk, f"bridge-bad-value{i}",
                         [env.binary(nvenv.BRIDGE_BIN) or nvenv.BRIDGE_BIN, "-s", nocore] + args,
                         what)
        chk.ok(f"'{value}' for {named}{why}" in err,
               f"{what}: its message names the value and {named}", err[-400:])

    chk.section("an NF's app option it does not have")
    core = Core(env, "e", GOOD, null_port)
    err = core.start_ready()
    if err is not None:
        chk.fatal("core starts", err)
    for i, (nf_bin, args) in enumerate(((nvenv.BRIDGE_BIN, ["--nxt"]),
                                        (nvenv.BRIDGE_BIN, ["--next", "x"]),
                                        (nvenv.MACSWAP_BIN, ["--next"]))):
        name = os.path.basename(nf_bin)
        what = f"{name} -- {' '.join(args)}"
        err = nf_refuses(env, chk, f"{name}-bad-opt{i}",
                         [env.binary(nf_bin) or nf_bin, "-s", core.sock, "-r", "1", "--"] + args,
                         what)
        chk.ok(f"'{args[-1]}'" in err, f"{what}: its message names '{args[-1]}'", err[-400:])
    env.done(chk)


if __name__ == "__main__":
    main()
