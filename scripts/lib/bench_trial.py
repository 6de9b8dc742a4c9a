# SPDX-License-Identifier: BSD-3-Clause
"""One benchmark trial: netvm-pktgen <-> memif <-> netvm-core <-> NF(s).

    netvm-pktgen (memif servers 0 and 1)          CPU pg_cpu
        port 0 ==memif==> netvm-core port 0       CPU core_cpu, --single-lcore
                          -> NF role 1 [-> role 2 ...]   CPU nf_cpu
        port 1 <==memif== netvm-core port 1

The generator starts first (a memif client cannot probe before its server's
socket exists), then the core, then the NFs; once telemetry shows every NF
attached, SIGUSR1 starts the traffic. The generator writes its result and
holds its ports open until the core and the NFs have stopped (a memif peer
closing under traffic can crash the other side).
"""

import glob
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

import telemetry

MEMIF = "net_memif{i},role={role},socket={dir}/m{i}.sock,socket-abstract=no{extra}"
# Frames up to 9000 B in one buffer each: the core's pool (docs/config.md
# "Jumbo frames") and memif slots that hold a whole frame (DPDK 22.11's memif
# garbles frames chained over several slots when its ring fills).
JUMBO = {"core_opts": "pool_buffers = 4095; buffer_size = 16384; mtu = 9000;",
         "memif_opts": ",bsize=16384"}


class TrialError(Exception):
    """A step of the trial failed; the message says which and where the log is."""


class Setup:
    """Where the binaries are, which CPUs to use, where to put the logs."""

    def __init__(self, build, logdir, stem, pg_cpu=1, core_cpu=0, nf_cpu=1, nf_args=()):
        self.build = build
        self.timeout = 15  # seconds a process may take to start (large tables: more)
        self.nf_args = list(nf_args)  # netlib options for every NF
        self.logdir = logdir
        self.stem = stem  # DPDK file prefix stem, unique to this run
        self.pg_cpu, self.core_cpu, self.nf_cpu = pg_cpu, core_cpu, nf_cpu
        self.count = 0

    def binary(self, rel):
        path = os.path.join(self.build, rel)
        if not os.access(path, os.X_OK):
            raise TrialError(f"{path} is not built (meson setup + ninja, or scripts/setup.sh)")
        return path

    def cleanup(self):
        """Remove the hugepage files and runtime folders of this run's processes."""
        remove_dpdk_files(self.stem)


def env_num(name, default, kind=float, least=None, most=None, above=None):
    """The setting @name (@default when unset) as a @kind; exits with a message
    naming it when it is no such number or not within least..most (> above)."""
    raw = os.environ.get(name, default)
    what = "a whole number" if kind is int else "a number"
    try:
        v = kind(raw)
    except ValueError:
        v = None
    if v is None or (kind is float and not math.isfinite(v)):
        sys.exit(f"bench: {name} must be {what} (got '{raw}')")
    if least is not None and v < least:
        sys.exit(f"bench: {name} must be at least {least} (got '{raw}')")
    if most is not None and v > most:
        sys.exit(f"bench: {name} must be at most {most} (got '{raw}')")
    if above is not None and v <= above:
        sys.exit(f"bench: {name} must be above {above} (got '{raw}')")
    return v


def remove_dpdk_files(stem):
    """Remove the hugepage files and runtime folders of the DPDK processes
    whose file prefix starts with stem (once they have exited)."""
    for path in glob.glob(f"/dev/hugepages/{stem}*"):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass  # its process was still exiting and removed it itself
    for path in glob.glob(f"/var/run/dpdk/{stem}*"):
        shutil.rmtree(path, ignore_errors=True)


def stop(proc, timeout=10):
    """SIGINT proc (None or exited: nothing), then SIGKILL after timeout s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_path(path, timeout, proc, what):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise TrialError(f"{what} exited ({proc.returncode}) before creating {path}")
        if time.monotonic() > deadline:
            raise TrialError(f"{what} did not create {path} within {timeout} s")
        time.sleep(0.05)


def parse_stats(text, prefix="stat "):
    """The 'PREFIX NAME VALUE' lines of an output as a dict: netvm-core's
    'stat NAME VALUE', or an NF's 'NAME VALUE' with prefix ''."""
    out = {}
    for line in text.splitlines():
        if line.startswith(prefix):
            parts = line[len(prefix):].split()
            if len(parts) == 2 and parts[1].isdigit():
                out[parts[0]] = int(parts[1])
    return out


class _Trial:
    """The folder, DPDK file prefix and processes of one trial."""

    def __init__(self, setup, name):
        setup.count += 1
        self.setup = setup
        self.tag = f"{name}.{setup.count}"
        self.work = os.path.join(setup.logdir, "run", self.tag)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.prefix = f"{setup.stem}{setup.count}-"
        self.sock = os.path.join(self.work, "core.sock")
        self.procs, self.logs = {}, {}

    def write_config(self, core_opts, config, pool_buffers=8192):
        """core.conf: the core group (socket, pool_buffers unless @core_opts
        sets it, @core_opts) and @config. Returns its path."""
        path = os.path.join(self.work, "core.conf")
        pool = "" if "pool_buffers" in core_opts else f"pool_buffers = {pool_buffers}; "
        with open(path, "w") as f:
            f.write(f'core = {{ socket = "{self.sock}"; {pool}{core_opts} }};\n{config}\n')
        return path

    def start(self, key, cmd, cpu=None):
        """Start process @key (its output in KEY.log), on CPU @cpu if given."""
        self.logs[key] = os.path.join(self.work, key + ".log")
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
        with open(self.logs[key], "w") as log:
            self.procs[key] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                               stderr=subprocess.STDOUT, cwd=self.work)
        return self.procs[key]

    def start_core_and_nfs(self, core_cmd, nfs):
        """Start the core, then the NFs once its socket exists, and wait
        until every NF is attached. Returns the core's telemetry socket."""
        setup = self.setup
        core = self.start("core", core_cmd)
        _wait_path(self.sock, setup.timeout, core, "netvm-core")
        for i, (binary, role, opts) in enumerate(nfs):
            cmd = [setup.binary(binary), "-s", self.sock, "-r", str(role)] + setup.nf_args
            if opts:
                cmd += ["--"] + list(opts)
            self.start(f"nf{i}", cmd, cpu=setup.nf_cpu)
        tel = telemetry.socket_path(self.prefix + "core")
        if telemetry.wait_until(tel, "/netvm/stats", "nfs_attached", len(nfs),
                                setup.timeout) is None:
            raise TrialError(f"{self.tag}: the NFs did not attach within {setup.timeout} s "
                             f"(logs in {self.work})")
        return tel

    def stop(self, last=()):
        """Stop the core first (its counters cover the trial), then the NFs,
        then the processes @last (those whose ports the core had open)."""
        for key in ["core"] + [k for k in self.procs if k.startswith("nf")] + list(last):
            stop(self.procs.get(key))

    def result(self, source):
        """The trial's result: @source (the traffic's figures), the core's
        and every NF's final counters."""
        with open(self.logs["core"]) as f:
            core_stats = parse_stats(f.read())
        nf_stats = {}
        for key in self.procs:
            if key.startswith("nf"):
                with open(self.logs[key]) as f:
                    nf_stats[key] = parse_stats(f.read(), prefix="")
        return {"trial": self.tag, "pktgen": source, "core": core_stats, "nfs": nf_stats,
                "dir": self.work}


def run(setup, name, nfs, config="default = { role = 1; };", seconds=2.0, size="64",
        rate_pps=0, flows=1, extra_pg=(), core_opts="", memif_opts=""):
    """Run one trial; return {"pktgen": result, "core": counters, "logs": ...}.

    nfs: list of (binary relative to the build dir, role, [app options]).
    core_opts: more settings of the configuration's core group ("k = v; ...").
    memif_opts: more arguments of every memif port (",bsize=16384").
    Raises TrialError when a process fails; its log is in setup.logdir.
    """
    t = _Trial(setup, name)
    work = t.work
    result = os.path.join(work, "pktgen.json")
    conf = t.write_config(core_opts, config)
    with open(os.path.join(work, "routes"), "w") as f:
        f.write("10.0.2.0/24 1 02:00:00:00:02:02\n")
    pg_cmd = [setup.binary("apps/pktgen/netvm-pktgen"), "-l", str(setup.pg_cpu),
              "--file-prefix", t.prefix + "pg", "--no-pci",
              "--vdev", MEMIF.format(i=0, role="server", dir=work, extra=memif_opts),
              "--vdev", MEMIF.format(i=1, role="server", dir=work, extra=memif_opts), "--",
              "-T", str(seconds), "-s", str(size), "-f", str(flows),
              "--dst-ip", "10.0.2.1", "--wait-signal", "--hold", "-o", result,
              "--link-timeout", "20"]
    if rate_pps:
        pg_cmd += ["-R", str(int(rate_pps))]
    if setup.pg_cpu in (setup.nf_cpu, setup.core_cpu):
        pg_cmd.append("--yield")  # give the CPU away when idle
    pg_cmd += list(extra_pg)
    core_cmd = [setup.binary("core/netvm-core"), "-l", str(setup.core_cpu),
                "--file-prefix", t.prefix + "core", "--no-pci",
                "--vdev", MEMIF.format(i=0, role="client", dir=work, extra=memif_opts),
                "--vdev", MEMIF.format(i=1, role="client", dir=work, extra=memif_opts), "--",
                "-c", conf, "-s", t.sock, "--single-lcore", "--wait-nfs", str(len(nfs))]
    try:
        pg = t.start("pktgen", pg_cmd)
        for i in (0, 1):
            _wait_path(os.path.join(work, f"m{i}.sock"), 15, pg, "netvm-pktgen")
        t.start_core_and_nfs(core_cmd, nfs)
        pg.send_signal(signal.SIGUSR1)
        _wait_path(result, seconds + 30, pg, "netvm-pktgen")
    finally:
        t.stop(last=["pktgen"])  # the generator's ports were the core's peers
    with open(result) as f:
        return t.result(json.load(f))


def udp_frame(i, size=64, dst=0x0a000201):
    """Frame of flow i: Ethernet, IPv4 10.1.x.y -> @dst (10.0.2.1), UDP sport
    1024 + i % 60000 -> 80 (the source address and port vary with i: a distinct
    5-tuple each), zero padding to @size bytes (no FCS)."""
    src = (10 << 24) | (1 << 16) | (i // 60000 & 0xffff)
    ip_len = size - 14
    hdr = struct.pack("!BBHHHBBHII", 0x45, 0, ip_len, 0, 0, 64, 17, 0, src, dst)
    csum = sum(struct.unpack("!10H", hdr))
    while csum > 0xffff:
        csum = (csum & 0xffff) + (csum >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~csum & 0xffff) + hdr[12:]
    udp = struct.pack("!HHHH", 1024 + i % 60000, 80, ip_len - 20, 0)
    eth = bytes.fromhex("020000000001" "020000000102" "0800")
    frame = eth + hdr + udp
    return frame + bytes(size - len(frame))


def write_flows_pcap(path, flows, size=64, dsts=()):
    """A pcap of @flows frames, one per flow (udp_frame()); frame i goes to
    dsts[i % len(dsts)] when @dsts (IPv4 addresses as integers) is given."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            f.write(struct.pack("<IIII", 0, 0, size, size))
            f.write(udp_frame(i, size, dsts[i % len(dsts)]) if dsts else udp_frame(i, size))


def _port_rates(tel, seconds):
    """(received on port 0, sent on every port) per second over @seconds."""
    a, t_a = tel.query("/netvm/stats"), time.monotonic()
    time.sleep(seconds)
    b, t_b = tel.query("/netvm/stats"), time.monotonic()
    dt = t_b - t_a
    sent = sum(b[k] - a[k] for k in b if k.startswith("port") and k.endswith("_tx"))
    return (b["port0_rx"] - a["port0_rx"]) / dt, sent / dt


def run_pcap(setup, name, nfs, config="default = { role = 1; };", seconds=2.0, flows=1,
             core_opts="", warmup=1.0, dsts=(), size=64, **_pktgen_only):
    """One trial of the core alone: port 0 replays a pcap of @flows frames of
    @size bytes, one per flow (to 10.0.2.1, or to the addresses @dsts in turn), as
    fast as the core takes them (net_pcap with infinite_rx: the frames sit in
    mbufs of the core's pool and each RX copies one into a fresh buffer, as a
    NIC writes it), port 1 is a net_null sink. No generator shares the NFs'
    CPU, so the core runs saturated and its stage counters are per-packet
    costs, not per-burst ones. Returns what run() returns, with "pktgen"
    holding the rates the core's telemetry gave over @seconds after @warmup
    seconds (offered = tx = received on port 0, rx = sent on every port; no
    latency). Options only the generator has (extra_pg, rate_pps,
    memif_opts) are not accepted here."""
    if _pktgen_only:
        raise TrialError(f"{name}: {', '.join(sorted(_pktgen_only))}: not with the pcap source")
    t = _Trial(setup, name)
    tag = f"-d{zlib.crc32(struct.pack(f'<{len(dsts)}I', *dsts)):08x}" if dsts else ""
    size = int(size)
    pcap = os.path.join(setup.logdir, "run", f"flows-{flows}-{size}B{tag}.pcap")
    if not os.path.exists(pcap):
        write_flows_pcap(pcap, flows, size, dsts)
    # the replayed frames hold one buffer each for the whole run
    pool = 16383
    while pool < flows + 16384:
        pool = pool * 2 + 1
    conf = t.write_config(core_opts, config, pool_buffers=pool)
    core_cmd = [setup.binary("core/netvm-core"), "-l", str(setup.core_cpu),
                "--file-prefix", t.prefix + "core", "--no-pci",
                "--vdev", f"net_pcap0,rx_pcap={pcap},infinite_rx=1",
                "--vdev", "net_null0,no-rx=1", "--",
                "-c", conf, "-s", t.sock, "--single-lcore", "--wait-nfs", str(len(nfs))]
    try:
        path = t.start_core_and_nfs(core_cmd, nfs)
        time.sleep(warmup)
        try:
            tel = telemetry.Telemetry(path)
            try:
                rx_pps, tx_pps = _port_rates(tel, seconds)
            finally:
                tel.close()
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise TrialError(f"{t.tag}: telemetry: {e} (logs in {t.work})") from e
    finally:
        t.stop()
    return t.result({"source": "pcap", "flows": flows, "offered_pps": rx_pps,
                     "tx_pps": rx_pps, "rx_pps": tx_pps, "rx_gbps": tx_pps * size * 8 / 1e9,
                     "loss_ratio": 1 - tx_pps / rx_pps if rx_pps > 0 else 1.0,
                     "latency_ns": {"samples": 0}})


def tool_suite_args(script, tool, package, default_seconds):
    """(OUTDIR made absolute and created, build dir, seconds) of a suite run as
    `script OUTDIR` that needs `tool` (Debian package `package`); exits with
    a message on a wrong command line or a missing tool."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {script} OUTDIR")
    if not shutil.which(tool):
        sys.exit(f"bench: {tool} not found: run scripts/setup.sh ({package})")
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    return (out, os.path.abspath(os.environ.get("NETVM_BUILD", "build")),
            env_num("NETVM_BENCH_SECONDS", default_seconds, above=0))
