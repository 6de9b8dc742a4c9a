#!/usr/bin/env python3
"""systemd_units: the systemd units in packaging/systemd pass `systemd-analyze verify`.

The units are configured as meson does (@bindir@: a directory of links to
the built programs; /bin/true for one not built) and verified together;
a unit with a relative ExecStart must fail the same verification, so a
verifier that accepts anything is noticed. The core's ExecReload must be
`netvmctl ... core reload` of its configuration file. netvm-manager without
-c reads the file the units default to (/etc/default/netvm's NETVM_CONFIG):
one file for the core and the manager. netvm-hugepages' command, run by
sh on a file standing in for nr_hugepages: it raises the count to
NETVM_HUGEPAGES and never lowers it (2048 reserved stay with 1024 asked),
and refuses a NETVM_HUGEPAGES that is no number, saying so, writing
nothing. Exit 77 (skipped) without systemd-analyze.
"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check  # noqa: E402
from nvtest import env as nvenv  # noqa: E402

HP_SYSFS = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
PROGRAMS = {"netvm-core": "core/netvm-core", "netvmctl": "manager/netvmctl",
            "netvm-manager": "manager/netvm-manager"}


def verify(units):
    """(return code, output) of systemd-analyze verify on @units."""
    r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def hugepages_run(env, unit_text, have, want):
    """Run netvm-hugepages' ExecStart (sh -c SCRIPT) on a file holding @have
    standing in for nr_hugepages, with NETVM_HUGEPAGES=@want; (exit status,
    stderr, what the file holds after)."""
    line = re.search(r"^ExecStart=/bin/sh -c '(.*)'$", unit_text, re.M)
    if line is None:
        return None, "no ExecStart=/bin/sh -c '...'", have
    nr = env.path("nr_hugepages")
    with open(nr, "w") as f:
        f.write(f"{have}\n")
    script = line.group(1).replace(HP_SYSFS, nr)
    r = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, NETVM_HUGEPAGES=want))
    with open(nr) as f:
        return r.returncode, r.stderr, f.read().strip()


def main():
    if nvenv.which("systemd-analyze") is None:
        print("systemd_units: systemd-analyze not found: skipped")
        sys.exit(77)
    env = nvenv.setup("systemd_units", timeout=90, description=__doc__)
    chk = check.Checker("systemd_units")
    src = os.path.join(env.source_dir, "packaging", "systemd")
    bindir = env.path("bin")
    os.mkdir(bindir)
    for name, rel in PROGRAMS.items():
        os.symlink(env.binary(rel) or "/bin/true", os.path.join(bindir, name))
    units = []
    for path in sorted(glob.glob(os.path.join(src, "*.in"))):
        with open(path) as f:
            text = f.read().replace("@bindir@", bindir).replace("@docdir@", env.path("doc"))
        out = env.path(os.path.basename(path)[:-3])
        with open(out, "w") as f:
            f.write(text)
        units.append(out)
    units.append(os.path.join(src, "netvm.target"))
    names = sorted(os.path.basename(u) for u in units)
    chk.eq(names, ["netvm-core.service", "netvm-hugepages.service", "netvm-manager.service",
                   "netvm.target"], "the units")
    chk.ok(not any("@" in open(u).read() for u in units), "every @VAR@ is configured")

    rc, out = verify(units)
    chk.ok(rc == 0 and not out, "systemd-analyze verify: no complaint", f"rc={rc}: {out}")

    with open(env.path("netvm-core.service")) as f:
        core = f.read()
    chk.ok(re.search(r"^ExecReload=\S*/netvmctl .*core reload \$\{NETVM_CONFIG\}$", core,
                     re.M) is not None, "netvm-core: ExecReload is netvmctl core reload")
    # a reload of a large rule set takes minutes: netvmctl's default 10 s and
    # systemd's 90 s would call a reload the core then makes a failure
    wait = re.search(r"^ExecReload=\S*/netvmctl .*-t (\d+) ", core, re.M)
    limit = re.search(r"^TimeoutStartSec=(\d+)$", core, re.M)
    chk.ok(wait is not None and int(wait.group(1)) >= 600 and limit is not None and
           int(limit.group(1)) > int(wait.group(1)),
           "netvm-core: the reload waits 600 s, and systemd longer",
           f"{wait and wait.group(0)} {limit and limit.group(0)}")
    chk.ok(re.search(r"^ExecStart=\S*/netvm-core .*-- -c \$\{NETVM_CONFIG\}", core, re.M)
           is not None, "netvm-core: ExecStart reads NETVM_CONFIG")

    with open(os.path.join(src, "netvm.default")) as f:
        dflt = re.search(r"^#?NETVM_CONFIG=(\S+)$", f.read(), re.M)
    mgr = env.binary("manager/netvm-manager")
    if mgr is not None and dflt is not None:
        r = subprocess.run([mgr, "--help"], capture_output=True, text=True, timeout=30)
        named = re.search(r"-c, --config FILE.*\(default ([^;)\s]+)", r.stdout)
        chk.eq(named and named.group(1), dflt.group(1),
               "netvm-manager's default configuration is the units' NETVM_CONFIG")
    else:
        chk.ok(dflt is not None, "netvm.default names NETVM_CONFIG")

    with open(env.path("netvm-hugepages.service")) as f:
        hp = f.read()
    chk.ok(HP_SYSFS in hp, f"netvm-hugepages writes {HP_SYSFS}")
    rc, err, now = hugepages_run(env, hp, 0, "16")
    chk.ok(rc == 0 and now == "16", "netvm-hugepages: 0 reserved, 16 asked: 16",
           f"rc={rc} holds {now!r} {err!r}")
    rc, err, now = hugepages_run(env, hp, 2048, "1024")
    chk.ok(rc == 0 and now == "2048", "netvm-hugepages: 2048 reserved, 1024 asked: 2048 stay",
           f"rc={rc} holds {now!r} {err!r}")
    for bad in ("abc", "", "1024 2"):
        rc, err, now = hugepages_run(env, hp, 8, bad)
        chk.ok(rc == 1 and now == "8" and f"NETVM_HUGEPAGES={bad} is not a number" in err,
               f"netvm-hugepages: NETVM_HUGEPAGES={bad!r} refused, saying so, nothing written",
               f"rc={rc} holds {now!r} {err!r}")

    broken = env.path("netvm-broken.service")
    with open(broken, "w") as f:
        f.write(core.replace(f"ExecStart={bindir}/", "ExecStart=bin/"))
    rc, out = verify([broken])
    chk.ok(rc != 0 or "bin/" in out, "a relative ExecStart fails the same verification",
           f"rc={rc}: {out}")
    env.done(chk)


if __name__ == "__main__":
    main()
