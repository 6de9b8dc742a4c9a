"""Test environment: command line, binaries, preconditions and cleanup on any exit.

Every test script calls setup() first. It parses --build-dir/--source-dir,
installs a watchdog (SIGALRM) and signal handlers so that a timeout, SIGTERM
from meson or an exception still runs the cleanup stack: processes are killed,
namespaces deleted and hugepage files of the test's file prefixes removed.
"""

import argparse
import atexit
import glob
import os
import shutil
import signal
import sys
import tempfile

HUGE_DIR = "/dev/hugepages"
DPDK_RUN_DIR = "/var/run/dpdk"
MIN_FREE_HUGEPAGES = 64  # 128 MiB: EAL memory plus a 4096-buffer pool

CORE_BIN = "core/netvm-core"
L3FWD_BIN = "apps/l3fwd/netvm-l3fwd"
BRIDGE_BIN = "apps/bridge/netvm-bridge"
MACSWAP_BIN = "apps/macswap/netvm-macswap"
FIREWALL_BIN = "apps/firewall/netvm-firewall"


class TestEnv:
    """One test run: paths, a work directory, unique names and a cleanup stack."""

    def __init__(self, name, args):
        self.name = name
        self.build_dir = os.path.abspath(args.build_dir)
        self.source_dir = os.path.abspath(args.source_dir)
        self.keep = bool(os.environ.get("NETVM_TEST_KEEP"))
        self.failed = True  # until done() learns otherwise
        self._cleanups = []
        self._seq = 0
        self.workdir = tempfile.mkdtemp(prefix=f"netvm-{name}-")
        self.add_cleanup(self._remove_workdir)

    def binary(self, rel):
        """Absolute path of a built program; None when it was not built."""
        path = os.path.join(self.build_dir, rel)
        return path if os.access(path, os.X_OK) else None

    def path(self, filename):
        """A path inside the test's work directory."""
        return os.path.join(self.workdir, filename)

    def unique(self, tag):
        """A short name unique to this process and call: file prefixes, sockets, netns."""
        self._seq += 1
        return f"nv{tag}{os.getpid()}{self._seq}"

    def add_cleanup(self, fn):
        """Run @fn at exit (last added, first run); exceptions in it are printed, not raised."""
        self._cleanups.append(fn)

    def run_cleanups(self):
        """Run and forget every registered cleanup; signals are ignored meanwhile."""
        signal.alarm(0)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        while self._cleanups:
            fn = self._cleanups.pop()
            try:
                fn()
            except Exception as exc:  # cleanup must go on
                print(f"cleanup: {exc}", file=sys.stderr)

    def _remove_workdir(self):
        if self.failed or self.keep:
            print(f"(work files kept in {self.workdir})", flush=True)
            return
        shutil.rmtree(self.workdir, ignore_errors=True)

    def done(self, chk):
        """End the test: record the outcome for cleanup, print the summary, exit."""
        self.failed = chk.failed > 0 or chk.passed == 0
        chk.finish()


_ENV = None


def _on_signal(signum, _frame):
    what = "watchdog timeout" if signum == signal.SIGALRM else f"signal {signum}"
    print(f"{_ENV.name if _ENV else 'test'}: stopped by {what}; cleaning up",
          file=sys.stderr, flush=True)
    sys.exit(128 + signum)


def setup(name, timeout, description=""):
    """Parse the common options and arm cleanup. @timeout: seconds before the watchdog fires."""
    global _ENV
    parser = argparse.ArgumentParser(prog=name, description=description)
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--build-dir", default=os.environ.get("NETVM_BUILD", "build"),
                        help="meson build directory holding core/ and apps/")
    parser.add_argument("--source-dir",
                        default=os.path.normpath(os.path.join(here, "..", "..", "..")),
                        help="project source directory")
    args = parser.parse_args()
    _ENV = TestEnv(name, args)
    atexit.register(_ENV.run_cleanups)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, _on_signal)
    signal.alarm(int(timeout))
    print(f"{name}: work dir {_ENV.workdir}", flush=True)
    return _ENV


def require_binaries(env, chk, rels):
    """Stop the test (failed) unless every program in @rels was built."""
    missing = [r for r in rels if env.binary(r) is None]
    if missing:
        chk.fatal("programs built", "missing in " + env.build_dir + ": " + ", ".join(missing))


def require_root(chk):
    """Stop the test (failed) unless running as root (hugepages, netns, raw sockets)."""
    if os.geteuid() != 0:
        chk.fatal("running as root", "these tests need root (hugepages, namespaces)")


def hugepage_status():
    """(mounted, total, free) for 2 MiB pages on HUGE_DIR."""
    mounted = False
    try:
        with open("/proc/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 2 and fields[1] == HUGE_DIR and fields[2] == "hugetlbfs":
                    mounted = True
    except OSError:
        pass
    total = free = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Total:"):
                total = int(line.split()[1])
            elif line.startswith("HugePages_Free:"):
                free = int(line.split()[1])
    return mounted, total, free


def require_hugepages(chk):
    """Stop the test (failed) unless hugetlbfs is mounted with enough free 2 MiB pages."""
    mounted, total, free = hugepage_status()
    if not mounted or total == 0:
        chk.fatal("hugepages available",
                  f"no hugetlbfs mounted on {HUGE_DIR} with reserved pages "
                  f"(need 1024 x 2 MiB mounted on {HUGE_DIR}; run scripts/setup.sh)")
    if free < MIN_FREE_HUGEPAGES:
        chk.fatal("hugepages available",
                  f"only {free} of {total} 2 MiB pages free on {HUGE_DIR}, need "
                  f"{MIN_FREE_HUGEPAGES} (another DPDK process running? stale files?)")


def pool_files(prefix, huge_dir=HUGE_DIR):
    """The core's pool region files for file prefix @prefix (gone after a clean exit)."""
    return glob.glob(os.path.join(huge_dir, f"netvm-{prefix}-pool*"))


def prefix_files(prefix, huge_dir=HUGE_DIR):
    """Hugepage files that a core started with --file-prefix @prefix may leave behind."""
    return pool_files(prefix, huge_dir) + glob.glob(os.path.join(huge_dir, f"{prefix}map_*"))


def remove_prefix_files(prefix, huge_dir=HUGE_DIR):
    """Delete the hugepage files and the DPDK runtime directory of file prefix @prefix."""
    for path in prefix_files(prefix, huge_dir):
        try:
            os.unlink(path)
        except OSError:
            pass
    shutil.rmtree(os.path.join(DPDK_RUN_DIR, prefix), ignore_errors=True)


def which(prog):
    """Full path of @prog, also looking in the sbin directories; None if absent."""
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
    return shutil.which(prog, path=path)
