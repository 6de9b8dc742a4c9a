#!/usr/bin/env python3
"""live_rules: the core's rules, chains and role names changed while it runs
(netvmctl rule / default / chain / role / core reload), with no packet lost.

Port 0 receives exactly the frames the test writes into it (nvtest.inject),
port 1 is a net_null sink. Three netvm-bridge instances: role 1 "left" and
role 2 "right" send every packet out of port 1, role 3 "pre" (--next) passes
it to the next role of its chain. Half the frames go to 10.1/16, half to
10.2/16. Which NF got how many frames is read from its nf<I>_rx counter.

  rules     rule add moves the 10.2 half from role 1 to role 2, rule del
            moves it back; rule list shows exactly the rules in force;
            -f FILE rule add (no N) appends the file's rules; core help (dos
            list and dos clear name the SYN-flooded roles too)
  chains    a rule to chain "via" [pre, left]; chain set via pre,right sends
            that half through pre to right instead; chain list, role list,
            role name
  reload    a whole new file: the 10.1 half to role 2, the rest to role 1
  refused   bad rule text, unknown chain or role, rule numbers out of range
            (above 131072 too: -ERANGE, not a malformed number; past
            2^32 - 1 named as written), a word after rule del's number,
            a chain in use, a taken role name, a rule or a file whose in_port
            names a port the core does not have, a file that changes the pool,
            has a syntax error or includes a directory, -f FILE with a
            command that takes no data: each refused with its reason, nothing
            changes (same rule list, same split of the traffic)
  traffic   20 changes (rules, chains through pre, reloads) while a closed-loop
            sender runs: every frame port 0 received left by port 1, no drop
            of any reason, and both the core's change counters are exact;
            then again on a core with RX and TX on two lcores
  slots     reloads of 4096 chains each, every one a new role sequence, until
            the core's 16384 chain slots run out: that reload is refused with
            -ENOSPC, and nothing changes (the slots left are still free)

The expected counts come from what the test sent and the rules it wrote.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, ctl, traffic  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.closedloop import Sender  # noqa: E402
from nvtest.inject import Injector, drained  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.telemetry import drops  # noqa: E402

CORE_PART = """core = {
  pool_buffers = 4096;
  buffer_size = 4096;
};
roles = ( { id = 1; name = "left"; }, { id = 2; name = "right"; }, { id = 3; name = "pre"; } );
"""
# the rule is on line 8
CONFIG = CORE_PART + """
chains = ( { name = "via"; roles = [ 3, 1 ]; } );
rules = ( { in_port = 0; role = 1; } );
default = { action = "drop"; };
"""
# the rules are on lines 7 and 8
RELOAD = CORE_PART + """
rules = ( { dst = "10.1.0.0/16"; role = 2; },
          { in_port = 0; role = 1; } );
default = { action = "drop"; };
chains = ( { name = "via"; roles = [ 3, 1 ]; } );
"""
RELOAD_POOL = RELOAD.replace("pool_buffers = 4096", "pool_buffers = 8192")
RELOAD_SYNTAX = RELOAD.replace('role = 2; },', 'role = ; },')  # line 7
RELOAD_PORT = RELOAD.replace("{ in_port = 0; role = 1; }", "{ in_port = 5; role = 1; }")  # line 8
CHANGES = 20
HALF = 32


class Ctl:
    """netvmctl against this core."""

    def __init__(self, env, core):
        self.env, self.core = env, core

    def __call__(self, *args):
        return ctl.netvmctl(self.env, ["-c", self.core.sock] + list(args))


def split(chk, core, inj, frames, nfs, what):
    """Send @frames; the frames each NF of @nfs received, and the frames dropped."""
    st0 = core.stats()
    inj.send(frames)
    ok, st = core.tel.wait_for(
        lambda s: drained(0, inj.sent)(s) and
        s.get("port1_tx", 0) + sum(drops(s).values()) >= s.get("port0_rx", 0), 10)
    chk.ok(ok, f"{what}: the {len(frames)} frames are through",
           f"port0_rx {st.get('port0_rx')} of {inj.sent} sent")
    got = tuple(st.get(f"nf{nf.id}_rx", 0) - st0.get(f"nf{nf.id}_rx", 0) for nf in nfs)
    dropped = sum(drops(st).values()) - sum(drops(st0).values())
    return got, dropped


class Live:
    """The test's state: the core, its NFs (left, right, pre) and the frames."""

    def __init__(self, env, chk, core, inj, frames, nfs):
        self.env, self.chk, self.core, self.inj = env, chk, core, inj
        self.frames, self.nfs = frames, nfs
        self.nv = Ctl(env, core)
        self.changes = 0
        self.refused = 0

    def change(self, args, answer, opts=()):
        """A change that must be accepted with @answer (the change's words)."""
        rc, out, err = self.nv(*(list(opts) + list(args)))
        self.changes += 1
        want = f"{answer} (change {self.changes})\n"
        self.chk.ok(rc == 0 and out.endswith(want), f"{' '.join(args[:3])}: exit 0, '{want.strip()}'",
                    f"rc {rc} out {out!r} err {err!r}")

    def refuse(self, args, reason):
        """A change that must be refused (exit 1) saying @reason."""
        rc, out, err = self.nv(*args)
        self.refused += 1
        self.chk.ok(rc == 1 and reason in err, f"refused: {' '.join(args)[:60]}: '{reason}'",
                    f"rc {rc} out {out!r} err {err!r}")

    def core_cwd(self):
        """The core engine's working directory."""
        return os.readlink(f"/proc/{self.core.pid}/cwd")

    def listing(self, what, expected):
        rc, out, err = self.nv(what, "list")
        self.chk.eq(out, expected, f"{what} list")

    def expect(self, counts, what):
        got, dropped = split(self.chk, self.core, self.inj, self.frames, self.nfs, what)
        self.chk.eq((got, dropped), (counts, 0), f"{what}: (left, right, pre) got {counts}")


RULES_START = '0 { in_port = 0; role = 1; }  # line 8\ndefault { action = "drop"; }\n'
RULES_RELOAD = ('0 { dst = "10.1.0.0/16"; role = 2; }  # line 7\n'
                '1 { in_port = 0; role = 1; }  # line 8\ndefault { action = "drop"; }\n')

CHAINS_RELOAD = "via 3,1  # slot 0\nrole:2 2  # slot 2\nrole:1 1  # slot 1\n"


def rules_part(t):
    t.chk.section("rule add / rule del move a subnet between roles")
    t.listing("rule", RULES_START)
    t.listing("chain", "via 3,1  # slot 0\nrole:1 1  # slot 1\n")
    t.expect((2 * HALF, 0, 0), "start: everything to left")
    t.change(["rule", "add", "0", '{ dst = "10.2.0.0/16"; role = 2; }'],
             "rule 0 added: 2 rules, 3 chains in force")
    t.listing("rule", '0 { dst = "10.2.0.0/16"; role = 2; }\n'
              '1 { in_port = 0; role = 1; }  # line 8\ndefault { action = "drop"; }\n')
    t.expect((HALF, HALF, 0), "after rule add: the 10.2 half to right")
    t.change(["rule", "del", "0"], "rule 0 deleted: 1 rules, 2 chains in force")
    t.listing("rule", RULES_START)
    t.listing("chain", "via 3,1  # slot 0\nrole:1 1  # slot 1\n")
    t.expect((2 * HALF, 0, 0), "after rule del: everything to left again")
    path = t.env.path("more.rules")
    with open(path, "w") as f:
        f.write('{ dst = "10.9.0.0/16"; role = 2; },\n{ dst = "10.8.0.0/16"; role = 2; }\n')
    t.change(["rule", "add"], "rule 1 added: 3 rules, 3 chains in force", opts=["-f", path])
    t.listing("rule", '0 { in_port = 0; role = 1; }  # line 8\n'
              '1 { dst = "10.9.0.0/16"; role = 2; }\n2 { dst = "10.8.0.0/16"; role = 2; }\n'
              'default { action = "drop"; }\n')
    t.change(["rule", "del", "2"], "rule 2 deleted: 2 rules, 3 chains in force")
    t.change(["rule", "del", "1"], "rule 1 deleted: 1 rules, 2 chains in force")
    t.listing("rule", RULES_START)
    rc, out, err = t.nv("rule", "add")
    t.chk.eq(rc, 2, "rule add with neither rule text nor -f: usage error, exit 2")
    rc, out, err = t.nv("core", "help")
    t.chk.ok(rc == 0 and all(f"\n{w}" in "\n" + out for w in
                             ("rule list", "rule add", "rule del", "default set", "chain list",
                              "chain set", "chain del", "role list", "role name",
                              "reload")),
             "core help: exit 0, the core's commands as control.md lists them", f"{rc} {out}")
    # an entry runs on over the lines that start with blanks
    entries = {}
    for line in out.splitlines():
        if line[:1] in (" ", "\t") and entries:
            entries[last] += " " + line.strip()
        else:
            last = " ".join(line.split()[:2])
            entries[last] = line
    t.chk.ok(all("SYN-flooded roles" in entries.get(w, "") for w in ("dos list", "dos clear")),
             "core help: dos list and dos clear name the SYN-flooded roles they list and "
             "forget", out)


def chains_part(t):
    t.chk.section("chain set changes where a chain's packets go")
    t.change(["rule", "add", "0", '{ dst = "10.1.0.0/16"; chain = "via"; }'],
             "rule 0 added: 2 rules, 2 chains in force")
    t.expect((2 * HALF, 0, HALF), "10.1 through chain via [pre, left]")
    t.change(["chain", "set", "via", "pre,right"], "chain via set: 2 rules, 2 chains in force")
    t.listing("chain", "via 3,2  # slot 3\nrole:1 1  # slot 1\n")
    t.expect((HALF, HALF, HALF), "10.1 through chain via [pre, right]")
    t.listing("role", "1 left instances=1 chains=role:1\n2 right instances=1 chains=via\n"
              "3 pre instances=1 chains=via\n")
    t.change(["role", "name", "2", "east"], "role 2 named: 2 rules, 2 chains in force")
    t.listing("role", "1 left instances=1 chains=role:1\n2 east instances=1 chains=via\n"
              "3 pre instances=1 chains=via\n")
    t.change(["chain", "set", "via", "pre", "1"], "chain via set: 2 rules, 2 chains in force")
    t.listing("chain", "via 3,1  # slot 0\nrole:1 1  # slot 1\n")
    t.expect((2 * HALF, 0, HALF), "chain via back to [pre, left]: its first slot again")
    t.change(["default", "set", '{ chain = "via"; }'],
             "default set: 2 rules, 2 chains in force")
    t.change(["rule", "del", "1"], "rule 1 deleted: 1 rules, 1 chains in force")
    t.listing("rule", '0 { dst = "10.1.0.0/16"; chain = "via"; }\ndefault { chain = "via"; }\n')
    t.expect((2 * HALF, 0, 2 * HALF), "default through via: every frame through pre to left")


def reload_part(t):
    t.chk.section("core reload puts a whole file in force")
    path = t.env.path("reload.conf")
    with open(path, "w") as f:
        f.write(RELOAD)
    t.change(["core", "reload", path], "reloaded: 2 rules, 3 chains in force")
    t.listing("rule", RULES_RELOAD)
    t.listing("chain", CHAINS_RELOAD)
    t.listing("role", "1 left instances=1 chains=via,role:1\n2 right instances=1 chains=role:2\n"
              "3 pre instances=1 chains=via\n")
    t.expect((HALF, HALF, 0), "after reload: the 10.1 half to right, the rest to left")


def include_part(t):
    t.chk.section("core reload of a file that @includes another, from any directory")
    # the file's @include paths are taken from its directory, as at start-up,
    # whatever the core's and netvmctl's working directories: netvmctl sends
    # that directory with the file
    inc = t.env.path("inc")
    os.makedirs(inc, exist_ok=True)
    with open(os.path.join(inc, "rules.conf"), "w") as f:
        f.write('rules = ( { dst = "10.1.0.0/16"; role = 2; },\n'
                '          { in_port = 0; role = 1; } );\n')
    main_conf = os.path.join(inc, "main.conf")
    with open(main_conf, "w") as f:
        f.write(CORE_PART + '@include "rules.conf"\ndefault = { action = "drop"; };\n'
                'chains = ( { name = "via"; roles = [ 3, 1 ]; } );\n')
    t.chk.ok(os.getcwd() != inc and t.core_cwd() != inc,
             "netvmctl and the core run elsewhere than the file's directory")
    t.change(["core", "reload", main_conf], "reloaded: 2 rules, 3 chains in force")
    t.expect((HALF, HALF, 0), "after the reload: the included rules in force")
    # a pipe has no directory: the path is taken as written, from the core's
    # working directory, where there is no rules.conf
    with open(main_conf, "rb") as f:
        text = f.read()
    rc, out, err = ctl.netvmctl(t.env, ["-c", t.core.sock, "core", "reload", "/dev/stdin"],
                                data=text)
    t.refused += 1
    t.chk.ok(rc == 1 and "cannot open include file" in err,
             "the same text from a pipe: refused, its @include not found from the core's "
             "working directory", f"rc {rc} out {out!r} err {err!r}")
    # the core takes the directory from the command: an absolute one only
    got, text = ctl.core_request(t.core.sock, b"core %d\nreload inc\n" % (len(b"reload inc\n")
                                 + len(RELOAD)) + RELOAD.encode())
    t.refused += 1
    t.chk.ok(got not in (0, None) and "must be an absolute path to a directory" in text,
             "reload DIR with a relative DIR: refused", f"{got} {text!r}")
    # back to the reload part's file, which the parts after this one expect
    t.change(["core", "reload", t.env.path("reload.conf")], "reloaded: 2 rules, 3 chains in force")
    t.listing("rule", RULES_RELOAD)


def refused_part(t):
    t.chk.section("bad changes are refused with their reason; nothing changes")
    files = {}
    for name, text in (("pool", RELOAD_POOL), ("syntax", RELOAD_SYNTAX),
                       ("port", RELOAD_PORT)):
        files[name] = t.env.path(f"{name}.conf")
        with open(files[name], "w") as f:
            f.write(text)
    st0 = t.core.stats()
    t.refuse(["rule", "add", "0", '{ dst = "10.3.0.0/33"; role = 2; }'],
             "rule add:1: rule[0].dst: '10.3.0.0/33': prefix length must be 0..32")
    t.refuse(["rule", "add", "0", '{ dst = "10.3.0.0/16"; chain = "nope"; }'],
             "rule add:1: rule[0].chain: unknown chain 'nope' (define it in chains)")
    t.refuse(["rule", "add", "0", '{ dst = "10.3.0.0/16"; role = ; }'], "rule add:1: syntax:")
    t.refuse(["rule", "add", "0", '{ dsp = "10.3.0.0/16"; role = 2; }'],
             "rule add:1: rule[0].dsp: unknown key")
    t.refuse(["rule", "add", "0", '{ dst = "10.3.0.0/16"; }'],
             "rule[0]: no target; give one of role, chain, action")
    t.refuse(["rule", "add", "3", '{ role = 2; }'], "rule 3: there are 2 rules (0..2)")
    t.refuse(["rule", "del", "2"], "no rule 2: there are 2 rules")
    # the core has 2 ports: a rule for another would never match
    t.refuse(["rule", "add", "0", '{ in_port = 2; role = 2; }'],
             "rule add:1: rule[0].in_port: port 2, but the core has only 2 port(s) (ports "
             "0..1, from the EAL options)")
    t.refuse(["rule", "del", "x"], "rule del N: 'x' is not a rule number")
    t.refuse(["rule", "del", "200000"], "Numerical result out of range: no rule 200000: "
             "there are 2 rules")
    t.refuse(["rule", "add", "131073", '{ role = 2; }'],
             "Numerical result out of range: rule 131073: there are 2 rules (0..2)")
    # numbers past 2^32 - 1 are named as written, not as 4294967295
    t.refuse(["rule", "del", "4294967296"],
             "Numerical result out of range: no rule 4294967296: there are 2 rules")
    t.refuse(["rule", "add", "99999999999999999999", '{ role = 2; }'],
             "Numerical result out of range: rule 99999999999999999999: there are 2 rules")
    t.refuse(["role", "name", "4294967296", "x"], "role 4294967296: roles are 0..255")
    # a word after the rule number (netvmctl sends none): that word is what is wrong
    got, text = ctl.core_request(t.core.sock, b"core 12\nrule del 0 1")
    t.chk.ok(got == -22 and "one rule number, not '0 1'" in text,
             "rule del 0 1 on the command socket: refused, naming the word too many",
             f"{got} {text!r}")
    t.refused += 1
    t.refuse(["chain", "del", "role:2"], "chain role:2 is the target of rule 0")
    t.refuse(["chain", "del", "nope"], "no chain 'nope'")
    t.refuse(["chain", "set", "x", "1,999"], "chain x: unknown role '999'")
    t.refuse(["chain", "set", "x", "1,nobody"], "chain x: unknown role 'nobody'")
    t.refuse(["chain", "set", "x", "1,2,3,1,2,3,1,2,3"], "chain x: more than 8 roles")
    t.refuse(["role", "name", "2", "left"], "role 2: the name 'left' is role 1's")
    t.refuse(["default", "set", '{ dst = "10.0.0.0/8"; role = 1; }'],
             "default set:1: default.dst: unknown key (default takes one of role, chain, "
             "action)")
    # checked as the file's default: a key that constrains nothing is no exception
    t.refuse(["default", "set", '{ proto = 0; role = 1; }'],
             "default set:1: default.proto: unknown key")
    t.refuse(["default", "set", '{ role = 256; }'],
             "default set:1: default.role: 256 is out of range 0..255")
    t.refuse(["core", "reload", files["pool"]],
             "core.pool_buffers differs from the one in force; it changes only with a restart")
    t.refuse(["core", "reload", files["syntax"]], "reload:7: syntax:")
    t.refuse(["core", "reload", files["port"]], "reload:8: rules[1].in_port: port 5, but the "
             "core has only 2 port(s)")
    # an empty file is refused before it is parsed (the core freed a
    # configuration it had not built then: it crashed after a request of
    # another kind had left the control thread's stack dirty)
    files["empty"] = t.env.path("empty.conf")
    open(files["empty"], "w").close()
    t.nv("nf", "cmd", "63", "help")
    t.refuse(["core", "reload", files["empty"]], "reload: send the configuration as data")
    # libconfig's scanner would end the core reading a directory
    files["incdir"] = t.env.path("incdir.conf")
    with open(files["incdir"], "w") as f:
        f.write(RELOAD + '@include "/"\n')
    t.refuse(["core", "reload", files["incdir"]], "reload:11: syntax: cannot include '/': Is a "
             "directory")
    # -f FILE goes with rule add (and core reload): elsewhere it is refused, not left unread
    more = t.env.path("more.rules")
    t.refuse(["-f", more, "chain", "set", "x", "1"],
             "chain set takes no data after its line (only rule add and reload do)")
    t.refuse(["-f", more, "rule", "del", "0"],
             "rule del takes no data after its line (only rule add and reload do)")
    rc, out, err = t.nv("-f", more, "dos", "set", "src_pps", "5")
    t.chk.ok(rc == 1 and "'dos set src_pps 5' takes no data after its line" in err,
             "-f FILE dos set: refused, the limit not set", f"rc {rc} out {out!r} err {err!r}")
    rc, out, err = t.nv("rule", "frob")
    t.chk.eq(rc, 2, "netvmctl rule frob: usage error, exit 2")
    rc, out, err = t.nv("core", "reload")
    t.chk.eq(rc, 2, "netvmctl core reload without a file: exit 2")
    rc, out, err = t.nv("rule", "del", "0\nreload")
    t.chk.ok(rc == 2 and "line break" in err,
             "an argument with a line break: usage error, exit 2, nothing sent", f"{rc} {err}")
    st = t.core.stats()
    t.chk.eq(st.get("cfg_refused", 0) - st0.get("cfg_refused", 0), 31, "cfg_refused counted 31")
    t.chk.eq(st.get("cfg_changes", 0), st0.get("cfg_changes", 0), "cfg_changes did not move")
    t.listing("rule", RULES_RELOAD)
    t.listing("chain", CHAINS_RELOAD)
    t.expect((HALF, HALF, 0), "after the refusals: the same split as before")


def traffic_part(t):
    t.chk.section(f"{CHANGES} changes while traffic flows lose nothing")
    path = t.env.path("reload.conf")
    start = t.env.path("start.conf")
    with open(start, "w") as f:
        f.write(CONFIG)
    cycle = [
        (["rule", "add", "0", '{ dst = "10.2.0.0/16"; chain = "via"; }'],
         "rule 0 added: 3 rules, 3 chains in force"),
        (["chain", "set", "via", "3,2"], "chain via set: 3 rules, 3 chains in force"),
        (["chain", "set", "via", "3,1"], "chain via set: 3 rules, 3 chains in force"),
        (["rule", "del", "0"], "rule 0 deleted: 2 rules, 3 chains in force"),
        (["core", "reload", start], "reloaded: 1 rules, 2 chains in force"),
        (["core", "reload", path], "reloaded: 2 rules, 3 chains in force"),
    ]
    st0 = t.core.stats()
    sent0 = t.inj.sent
    pre_rx = f"nf{t.nfs[2].id}_rx"
    with Sender(t.core, t.inj, t.frames) as sender:
        for i in range(CHANGES):
            args, answer = cycle[i % len(cycle)]
            before = t.core.stats().get(pre_rx, 0)
            t.change(args, answer)
            if args[:2] == ["rule", "add"]:
                # chain via is in force until the rule goes: let a batch take it
                # (else a slow host may run the next changes before any frame)
                t.core.tel.wait_for(lambda s, b=before: s.get(pre_rx, 0) > b, 10)
    t.chk.ok(sender.stuck is None, "every batch sent during the changes came through",
             f"stuck at {sender.stuck}")
    t.chk.ok(sender.batches > 0, f"traffic flowed during the changes ({sender.batches} batches)")
    ok, st = t.core.tel.wait_for(drained(0, t.inj.sent), 10)
    rx = st.get("port0_rx", 0) - st0.get("port0_rx", 0)
    t.chk.eq(rx, t.inj.sent - sent0, "port 0 received every frame sent")
    t.chk.eq(st.get("port1_tx", 0) - st0.get("port1_tx", 0), rx,
             "every frame port 0 received left by port 1")
    t.chk.eq({k: v for k, v in drops(st).items() if v != drops(st0).get(k, 0)}, {},
             "no drop of any reason (drop_chain_end, drop_no_instance, ...)")
    left, right, pre = (st.get(f"nf{nf.id}_rx", 0) - st0.get(f"nf{nf.id}_rx", 0) for nf in t.nfs)
    t.chk.eq(left + right, rx, "left and right together received every frame")
    t.chk.ge(pre, 1, "pre saw frames of chain via during the changes")


SLOT_CHAINS = 4000  # named chains besides "via" (a file holds at most 4096)
CORE_CHAIN_SLOTS = 16384


def slots_file(t, n):
    """RELOAD with SLOT_CHAINS more chains, role sequences no file before had."""
    path = t.env.path(f"slots{n}.conf")
    chains = ",\n".join(f'  {{ name = "s{k}"; roles = [ {10 + k // 246}, {10 + k % 246} ]; }}'
                        for k in range(n * SLOT_CHAINS, (n + 1) * SLOT_CHAINS))
    with open(path, "w") as f:
        f.write(RELOAD.replace('chains = ( { name = "via"; roles = [ 3, 1 ]; } );',
                               f'chains = ( {{ name = "via"; roles = [ 3, 1 ]; }},\n{chains} );'))
    return path


def slots_part(t):
    t.chk.section("a change that needs more chain slots than are left is refused (-ENOSPC)")
    n = CORE_CHAIN_SLOTS // SLOT_CHAINS  # the reloads that fit, with a few slots used before
    for i in range(n):
        t.change(["core", "reload", slots_file(t, i)],
                 f"reloaded: 2 rules, {SLOT_CHAINS + 3} chains in force")
    rules, chains = t.nv("rule", "list"), t.nv("chain", "list")
    rc, out, err = t.nv("core", "reload", slots_file(t, n))
    t.refused += 1
    t.chk.ok(rc == 1 and err.startswith("netvmctl: core: No space left on device: chain s") and
             f"the core has used all {CORE_CHAIN_SLOTS} chain slots" in err,
             "a reload with more new role sequences than slots left: refused, -ENOSPC",
             f"rc {rc} out {out!r} err {err!r}")
    t.chk.eq((t.nv("rule", "list"), t.nv("chain", "list")), (rules, chains),
             "the refused reload changed neither the rules nor the chains")
    t.expect((HALF, HALF, 0), "after the refusal: the same split as before")
    # the refused reload took none of the slots left: a new sequence still gets one
    t.change(["chain", "set", "fresh", "200,201,202"],
             f"chain fresh set: 2 rules, {SLOT_CHAINS + 4} chains in force")


def start(env, chk, tag, config, inj, split_lcores):
    """A core on @inj's port and a sink, with left, right and pre attached; None on failure."""
    core = Core(env, tag, config, [inj.vdev(0), "net_null0,no-rx=1"],
                lcores="0,1" if split_lcores else "0", single_lcore=not split_lcores)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        return None, None
    nfs = [Nf(env, core, nvenv.BRIDGE_BIN, 1, name="left"),
           Nf(env, core, nvenv.BRIDGE_BIN, 2, name="right"),
           Nf(env, core, nvenv.BRIDGE_BIN, 3, ["--next"], name="pre")]
    for nf in nfs:
        err = nf.start_attached()
        if not chk.ok(err is None, f"{nf.name} attaches", err or ""):
            return None, None
    return core, nfs


def stop(chk, t):
    st = t.core.stats()
    chk.eq(st.get("cfg_changes"), t.changes, f"cfg_changes counted {t.changes}")
    chk.eq(st.get("cfg_refused"), t.refused, f"cfg_refused counted {t.refused}")
    for nf in t.nfs:
        rc, _ = nf.stop_counters()
        chk.eq(rc, 0, f"{nf.name} exits 0")
    t.core.stop_checked(chk)


def main():
    env = nvenv.setup("live_rules", timeout=290, description=__doc__)
    chk = check.Checker("live_rules")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN, "manager/netvmctl"])
    frames = [bytes(p.frame) for p in traffic.simple_flows(11, ["10.1.0.0/16", "10.2.0.0/16"],
                                                            2 * HALF)]
    inj = Injector(env)
    core, nfs = start(env, chk, "lr", CONFIG, inj, False)
    if core is None:
        env.done(chk)
    t = Live(env, chk, core, inj, frames, nfs)
    rules_part(t)
    chains_part(t)
    reload_part(t)
    include_part(t)
    refused_part(t)
    traffic_part(t)
    stop(chk, t)

    chk.section("again with RX and TX on two lcores (chain steps cross the forward ring)")
    inj = Injector(env, tag="k")
    core, nfs = start(env, chk, "ls", RELOAD, inj, True)
    if core is None:
        env.done(chk)
    t = Live(env, chk, core, inj, frames, nfs)
    traffic_part(t)
    slots_part(t)
    stop(chk, t)
    env.done(chk)


if __name__ == "__main__":
    main()
