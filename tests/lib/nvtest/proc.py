"""The core engine and NF processes: start, wait until ready, stop, read their counters.

Every process runs in its own session (process group), logs to files in the
work directory, and is killed (SIGKILL to the group) by the cleanup stack if
the test ends before stopping it. Every wait has a deadline.
"""

import contextlib
import os
import re
import signal
import subprocess
import time

from . import env as nvenv
from . import pcaps
from .telemetry import Telemetry, TelemetryError, nf_ids, socket_path

STAT_LINE = re.compile(r"^stat (\S+) (-?\d+)\s*$")
COUNTER_LINE = re.compile(r"^(\S+)\s+(-?\d+)\s*$")
MAC_LINE = re.compile(r"^port (\d+): (\S+) MAC ((?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2})\s*$")


def nf_cpu():
    """The CPU NFs are pinned to: 1 when there are two, leaving CPU 0 to the core."""
    return "1" if (os.cpu_count() or 1) > 1 else "0"


class Proc:
    """A child process in its own process group, with stdout/stderr in files."""

    def __init__(self, env, name, argv):
        self.env = env
        self.name = name
        self.argv = argv
        self.out_path = env.path(f"{name}.out")
        self.err_path = env.path(f"{name}.err")
        self.popen = None
        self.returncode = None
        env.add_cleanup(self.kill)

    def start(self):
        """Spawn the process. Raises OSError when the program cannot be run."""
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                          stdout=out, stderr=err,
                                          start_new_session=True)
        print(f"  start {self.name} (pid {self.popen.pid}): {' '.join(self.argv)}",
              flush=True)

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    def alive(self):
        """True while the process runs."""
        return self.popen is not None and self.popen.poll() is None

    def wait(self, timeout):
        """Wait for exit; the exit status (negative: killed by that signal) or None."""
        if self.popen is None:
            return self.returncode
        try:
            self.returncode = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def send_signal(self, sig):
        """Send @sig to the process (not its group); ignored when it has exited."""
        if self.alive():
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    @contextlib.contextmanager
    def paused(self, timeout=10.0):
        """Stop the process (SIGSTOP) for the with-block, continue it after.

        The block runs once every thread is stopped; True is given to it, or
        False when they were not all stopped within @timeout (the process
        may have run meanwhile). The process continues whatever the block does."""
        self.send_signal(signal.SIGSTOP)
        try:
            yield self._all_stopped(timeout)
        finally:
            self.send_signal(signal.SIGCONT)

    def _all_stopped(self, timeout):
        """True once every thread of the process is stopped (state T), within @timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = []
            try:
                tids = os.listdir(f"/proc/{self.pid}/task")
            except OSError:
                return False  # gone
            for tid in tids:
                try:
                    with open(f"/proc/{self.pid}/task/{tid}/stat") as f:
                        states.append(f.read().rsplit(")", 1)[1].split()[0])
                except OSError:
                    pass  # a thread that ended meanwhile
            if states and all(st in "tT" for st in states):
                return True
            time.sleep(0.01)
        return False

    def stop(self, sig=signal.SIGINT, timeout=15.0):
        """Send @sig, wait up to @timeout; a hung process is killed. Exit status or None."""
        if self.popen is None:
            return None
        if self.popen.poll() is not None:
            self.returncode = self.popen.returncode
            return self.returncode
        self.send_signal(sig)
        rc = self.wait(timeout)
        if rc is None:
            print(f"  {self.name} did not exit {timeout:.0f} s after signal {int(sig)}; killing",
                  flush=True)
            self.kill()
            return None
        return rc

    def kill(self):
        """SIGKILL the whole process group and reap the process."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        else:
            # the group may outlive its leader
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.returncode = self.popen.returncode

    def stdout(self):
        """Everything the process wrote to stdout so far."""
        try:
            with open(self.out_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stderr(self):
        """Everything the process wrote to stderr so far."""
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def tail(self, n=15):
        """The last @n lines of stderr and stdout, for failure messages."""
        lines = (self.stderr().splitlines()[-n:] + ["--- stdout:"] +
                 self.stdout().splitlines()[-n:])
        return "\n      ".join([""] + lines)


class Core(Proc):
    """netvm-core with its own file prefix, config file and attach socket."""

    def __init__(self, env, tag, config, vdevs, lcores="0", single_lcore=True,
                 wait_nfs=None, eal_extra=(), app_extra=(), socket=None, config_path=None):
        self.prefix = env.unique(tag)
        # registered before Proc's kill, so it runs after it (cleanup is LIFO)
        env.add_cleanup(lambda: nvenv.remove_prefix_files(self.prefix))
        self.sock = socket or env.path(f"{self.prefix}.sock")
        self.config_path = config_path or env.path(f"{self.prefix}.conf")
        if config is not None:
            with open(self.config_path, "w") as f:
                f.write(config)
        argv = [env.binary(nvenv.CORE_BIN) or os.path.join(env.build_dir, nvenv.CORE_BIN),
                "-l", lcores, "--file-prefix", self.prefix, "--no-pci"]
        for vdev in vdevs:
            argv += ["--vdev", vdev]
        argv += list(eal_extra)
        argv += ["--", "-c", self.config_path, "-s", self.sock]
        if single_lcore:
            argv.append("--single-lcore")
        if wait_nfs is not None:
            argv += ["--wait-nfs", str(wait_nfs)]
        argv += list(app_extra)
        super().__init__(env, f"core-{self.prefix}", argv)
        self.tel = Telemetry(socket_path(self.prefix))
        env.add_cleanup(self.tel.close)
        self.final = {}

    def start_ready(self, timeout=30.0):
        """Start and wait until telemetry answers and the attach socket exists.

        Returns None when ready, else a message saying what went wrong. A
        core that refused to start because DPDK's af_packet driver found its
        fanout group taken (the group's number is the process id XOR the
        interface index: two cores of one test can meet) is started once
        more: it gets another process id (docs/core.md, "net_af_packet ports")."""
        for attempt in (1, 2):
            err = self._start_ready(timeout)
            if err is None or attempt == 2 or "could not set PACKET_FANOUT" not in self.stderr():
                return err
            print(f"  {self.name}: af_packet fanout group taken by another process's "
                  "socket: starting it again", flush=True)
        return err

    def _start_ready(self, timeout):
        try:
            self.start()
        except OSError as exc:
            return f"cannot run {self.argv[0]}: {exc}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return f"core exited with status {self.wait(1)} during start-up:{self.tail()}"
            if os.path.exists(self.sock):
                try:
                    self.tel.stats()
                    return None
                except TelemetryError:
                    pass
            time.sleep(0.1)
        return (f"core not ready after {timeout:.0f} s (attach socket {self.sock}, "
                f"telemetry {self.tel.path}):{self.tail()}")

    def stats(self):
        """Live counters through telemetry; {} when unreachable."""
        try:
            return self.tel.stats()
        except TelemetryError:
            return {}

    def stop_stats(self, timeout=20.0):
        """SIGINT the core; return (exit status or None, {name: value} of its stat lines)."""
        self.tel.close()
        rc = self.stop(signal.SIGINT, timeout)
        self.final = parse_stat_lines(self.stdout())
        return rc, self.final

    def stop_checked(self, chk, timeout=20.0):
        """stop_stats(), checking the exit status is 0 and no buffer leaked; the final stats."""
        rc, final = self.stop_stats(timeout)
        chk.eq(rc, 0, "core exits 0 on SIGINT")
        total = final.get("pool0_total")
        chk.ok(total is not None and total > 0 and final.get("pool0_free") == total,
               "no buffer leaked: final pool0_free == pool0_total",
               f"pool0_free={final.get('pool0_free')}, pool0_total={total}")
        return final

    def port_macs(self):
        """{port: (driver, 'aa:bb:..')} from the core's 'port P: <driver> MAC ..' lines."""
        macs = {}
        for line in self.stdout().splitlines():
            m = MAC_LINE.match(line.strip())
            if m:
                macs[int(m.group(1))] = (m.group(2), m.group(3).lower())
        return macs


class Manager(Proc):
    """netvm-manager with no VMs, for @core; netvmctl reaches it at self.sock."""

    BIN = "manager/netvm-manager"

    def __init__(self, env, core, name="manager"):
        self.sock, self.conf = env.path(f"{name}.sock"), env.path(f"{name}.conf")
        with open(self.conf, "w") as f:
            f.write(f'manager = {{ socket = "{self.sock}"; state_dir = "{env.path("vms")}"; }};\n'
                    f'core = {{ socket = "{core.sock}"; file_prefix = "{core.prefix}"; }};\n'
                    "vms = ();\n")
        super().__init__(env, name, [env.binary(self.BIN), "-c", self.conf])


class Nf(Proc):
    """A netlib NF process (netvm-l3fwd, netvm-bridge) attached to @core."""

    def __init__(self, env, core, binary, role, app_args=(), queues=None, cpu=None, name=None):
        self.core = core
        self.role = role
        self.id = None
        argv = ["taskset", "-c", cpu or nf_cpu(),
                env.binary(binary) or os.path.join(env.build_dir, binary),
                "-s", core.sock, "-r", str(role)]
        if queues is not None:
            argv += ["-q", str(queues)]
        if app_args:
            argv += ["--"] + list(app_args)
        label = name or f"{os.path.basename(binary)}-r{role}"
        super().__init__(env, f"{label}-{env.unique('')}", argv)
        self.counters = {}

    def start_attached(self, timeout=20.0):
        """Start and wait for a new instance of our role in the core's counters,
        live (in the datapath: its NF said it runs).

        Sets self.id. Returns None when attached, else a message."""
        before = set(nf_ids(self.core.stats(), self.role))
        try:
            self.start()
        except OSError as exc:
            return f"cannot run {self.argv}: {exc}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return f"{self.name} exited with status {self.wait(1)}:{self.tail()}"
            st = self.core.stats()
            new = {i for i in set(nf_ids(st, self.role)) - before
                   if st.get(f"nf{i}_live") == 1}
            if new:
                self.id = min(new)
                return None
            time.sleep(0.05)
        return f"{self.name} not seen attached (nf<I>_role == {self.role}, nf<I>_live == 1) after {timeout:.0f} s"

    def stop_counters(self, timeout=15.0):
        """SIGINT the NF; return (exit status or None, {name: value} it printed)."""
        rc = self.stop(signal.SIGINT, timeout)
        self.counters = parse_counter_lines(self.stdout())
        return rc, self.counters


def core_and_bridge(env, chk, tag, config, vdevs):
    """A core on @config with ports @vdevs, waiting for two NFs, and a
    well-behaved netvm-bridge of role 1 attached to it; (core, bridge). Ends
    the test (env.done) when either does not start."""
    core = Core(env, tag, config, vdevs, wait_nfs=2)
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    bridge = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-r1")
    err = bridge.start_attached()
    if not chk.ok(err is None, "well-behaved bridge attaches (role 1)", err or ""):
        env.done(chk)
    return core, bridge


def bridged_core(env, chk, tag, config, frames):
    """core_and_bridge() whose port 0 replays @frames endlessly (net_pcap) and
    whose port 1 is a net_null sink."""
    flows = env.path(f"{tag}-flows.pcap")
    pcaps.write(flows, frames)
    return core_and_bridge(env, chk, tag, config,
                           [f"net_pcap0,rx_pcap={flows},infinite_rx=1", "net_null0,no-rx=1"])


def parse_stat_lines(text):
    """{name: value} of the 'stat NAME VALUE' lines in @text (later lines win)."""
    out = {}
    for line in text.splitlines():
        m = STAT_LINE.match(line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def parse_counter_lines(text):
    """{name: value} of the 'NAME VALUE' lines in @text (later lines win)."""
    out = {}
    for line in text.splitlines():
        m = COUNTER_LINE.match(line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def parse_click_handlers(text):
    """{'elem.handler': int} from netvm-click's -h output (NAME.HANDLER: then the value)."""
    out = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\S+\.\S+):$", line.strip())
        if m and i + 1 < len(lines) and re.match(r"^\d+$", lines[i + 1].strip()):
            out[m.group(1)] = int(lines[i + 1].strip())
    return out


def run(argv, timeout=30.0, check=True, **kw):
    """Run a short command; returns CompletedProcess. Raises on failure when @check."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          check=check, **kw)


def check_help_before_eal(env, chk, binary, prefix, arg_sets, usage_words):
    """Run the DPDK program @binary with each of @arg_sets (which name the EAL
    prefix @prefix where they start DPDK at all): each must exit 0 printing
    its own usage (every one of @usage_words on stdout) without starting
    DPDK, and leave no runtime directory or hugepage file for @prefix."""
    env.add_cleanup(lambda: nvenv.remove_prefix_files(prefix))
    name = os.path.basename(binary)
    for args in arg_sets:
        what = f"{name} " + " ".join(args)
        try:
            res = subprocess.run([binary] + list(args), capture_output=True, text=True,
                                 timeout=20)
        except (OSError, subprocess.TimeoutExpired) as exc:
            chk.ok(False, f"{what}: runs", str(exc))
            continue
        chk.eq(res.returncode, 0, f"{what}: exit status 0")
        chk.ok(all(w in res.stdout for w in usage_words), f"{what}: prints its usage",
               f"stdout: {res.stdout[-400:]!r}")
        chk.ok("EAL:" not in res.stdout + res.stderr, f"{what}: DPDK not started",
               f"output: {(res.stdout + res.stderr)[-400:]!r}")
    chk.ok(not os.path.exists(os.path.join(nvenv.DPDK_RUN_DIR, prefix)) and
           not nvenv.prefix_files(prefix),
           "--help: no DPDK runtime directory or hugepage file for its prefix", prefix)
