#!/usr/bin/env python3
"""hostile_ctl: raw NFs that lie on their control channel (docs/abi.md section 6,
docs/control.md "When something goes wrong"), beside a netlib NF (the
bridge, role 1) whose commands must keep being answered.

  unasked    answers for requests never sent, written before any command:
             the next command gets its own answer; each is cmd_stale
  twice      two answers for one request: the first reaches the client, the
             second is cmd_stale
  flood      a raw NF with a command under way writes stale answers as fast
             as it can: the bridge's commands are answered meanwhile, each
             within a second, the raw NF's client gets -ETIMEDOUT and its
             channel stays whole (tens of thousands of stores of the answer
             index: a torn one, a transient 0, would look impossible and
             close it)
  unended    an answer announced at 16 MiB and never finished: -ETIMEDOUT,
             the core's memory grows by what was written, not by 16 MiB;
             the bridge still answers
  flapping   30 raw NFs attach, get a command under way and close: each
             client gets -ENOENT; nothing is left attached

Then the raw NFs close and the core exits 0 with every buffer in its pool.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from nvtest import check, ctl, rawnf  # noqa: E402
from nvtest import env as nvenv  # noqa: E402
from nvtest.proc import Core, Nf  # noqa: E402
from nvtest.rawnf import RawNf  # noqa: E402

CONFIG = """core = {
  pool_buffers = 2048;
};
default = { action = "drop"; };
"""
FLOOD_S = 3
FLAPS = 30
ETIMEDOUT, ENOENT = -110, -2


def ask(core, nf_id, text, wait_ms):
    """One command for NF @nf_id through the core's command socket: (status, text)."""
    return ctl.core_request(core.sock, b"nf %d %d %d\n" % (nf_id, len(text), wait_ms) + text,
                            timeout=wait_ms / 1000 + 15)


def ask_later(core, nf_id, text, wait_ms):
    """ask() in a thread; returns the thread and the dict its answer lands in."""
    out = {}
    t = threading.Thread(target=lambda: out.__setitem__("r", ask(core, nf_id, text, wait_ms)))
    t.start()
    return t, out


def request_of(chan, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        req = chan.read_request()
        if req is not None:
            return req
        time.sleep(0.005)
    return None


def stale(core):
    return core.stats().get("cmd_stale", 0)


def bridge_answers(chk, core, bridge_id, what, limit_s=1.0):
    t0 = time.monotonic()
    status, text = ask(core, bridge_id, b"help", 5000)
    took = time.monotonic() - t0
    return chk.ok(status == 0 and took < limit_s,
                  f"the bridge answers {what} (within {limit_s:.0f} s: {took:.2f} s)",
                  f"status {status} {text[:80]!r}")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def flood_writer(chan, seq, stop, sent):
    """Write stale answers (@seq) as fast as the pipe takes them until @stop,
    many to a store of the answer pipe's index."""
    one = ctl.CTL_HDR.pack(ctl.CTL_MAGIC, seq, 0, 48) + b"s" * 48
    size, m, ans = chan.size, chan.m, chan.ans
    while not stop.is_set():
        cons = chan._u32(ans + ctl.PIPE_CONS)
        room = size - ((chan.wpos - cons) & 0xffffffff)
        n = room // len(one)
        if n == 0:
            continue
        start = chan.wpos % size
        n = min(n, (size - start) // len(one))  # whole messages up to the end
        if n == 0:  # a message would wrap: in two pieces
            first = size - start
            m[ans + ctl.PIPE_DATA + start:ans + ctl.PIPE_DATA + size] = one[:first]
            m[ans + ctl.PIPE_DATA:ans + ctl.PIPE_DATA + len(one) - first] = one[first:]
            n = 1
        else:
            m[ans + ctl.PIPE_DATA + start:ans + ctl.PIPE_DATA + start + n * len(one)] = one * n
        chan.wpos = (chan.wpos + n * len(one)) & 0xffffffff
        chan._set_u32(ans + ctl.PIPE_PROD, chan.wpos)
        sent[0] += n


def main():
    env = nvenv.setup("hostile_ctl", timeout=170, description=__doc__)
    chk = check.Checker("hostile_ctl")
    nvenv.require_root(chk)
    nvenv.require_hugepages(chk)
    nvenv.require_binaries(env, chk, [nvenv.CORE_BIN, nvenv.BRIDGE_BIN])

    core = Core(env, "k", CONFIG, ["net_null0,no-rx=1", "net_null1,no-rx=1"])
    err = core.start_ready()
    if not chk.ok(err is None, "core starts", err or ""):
        env.done(chk)
    bridge = Nf(env, core, nvenv.BRIDGE_BIN, 1, name="bridge-r1")
    err = bridge.start_attached()
    if not chk.ok(err is None, "the bridge attaches (role 1)", err or ""):
        env.done(chk)
    bridge_id = next(int(k[2:-5]) for k, v in core.stats().items()
                     if k.startswith("nf") and k.endswith("_role") and v == 1)
    bridge_answers(chk, core, bridge_id, "at first")

    chk.section("answers for requests never sent")
    raw = rawnf.attach_running(env, chk, core.sock, 3)
    chan = ctl.RawChannel(raw)
    s0 = stale(core)
    # none the number the next request gets (the first is 1)
    for seq in (0, 2, 7, 1000, 0xffffffff):
        chan.answer(seq, 0, b"unasked")
    t, out = ask_later(core, raw.nf_id, b"ping", 5000)
    req = request_of(chan)
    if chk.ok(req is not None and req[1] == b"ping", "the command reaches the raw NF", str(req)):
        chan.answer(req[0], 0, b"pong")
    t.join()
    chk.eq(out.get("r"), (0, "pong"), "its client gets its own answer")
    chk.eq(stale(core) - s0, 5, "the 5 unasked answers are cmd_stale")

    chk.section("two answers for one request")
    s0 = stale(core)
    t, out = ask_later(core, raw.nf_id, b"ping", 5000)
    req = request_of(chan)
    if req is not None:
        chan.answer(req[0], 0, b"first")
        chan.answer(req[0], 0, b"second")
    t.join()
    chk.eq(out.get("r"), (0, "first"), "the first answer reaches the client")
    ok, _ = core.tel.wait_for(lambda s: s.get("cmd_stale", 0) - s0 == 1, 5)
    chk.ok(ok, "the second is cmd_stale", f"cmd_stale +{stale(core) - s0}")

    chk.section(f"{FLOOD_S} s of stale answers while a command waits")
    t, out = ask_later(core, raw.nf_id, b"ping", FLOOD_S * 1000)
    req = request_of(chan)
    chk.ok(req is not None, "the command reaches the raw NF")
    stop, sent = threading.Event(), [0]
    w = threading.Thread(target=flood_writer, args=(chan, (req or (0,))[0] + 1000, stop, sent))
    w.start()
    end = time.monotonic() + FLOOD_S - 0.5
    took = []
    while time.monotonic() < end:
        t0 = time.monotonic()
        status, text = ask(core, bridge_id, b"help", 5000)
        took.append(time.monotonic() - t0)
        if status != 0:
            break
    chk.ok(status == 0 and len(took) >= 2 and max(took) < 1.0,
           f"the bridge answers {len(took)} commands meanwhile, each within 1 s "
           f"(the slowest: {max(took):.2f} s)", f"status {status} {text[:80]!r}")
    stop.set()
    w.join()
    t.join()
    chk.ok(sent[0] > 1000, f"the raw NF wrote {sent[0]} stale answers")
    chk.eq((out.get("r") or (None,))[0], ETIMEDOUT, "the raw NF's own client gets -ETIMEDOUT")
    chk.ok(core.alive(), "the core lives")
    # what is left in the pipe is read while the next command waits; the
    # channel itself stays whole: let a command drain it
    t, out = ask_later(core, raw.nf_id, b"ping", 3000)
    req = request_of(chan, timeout=5)
    if chk.ok(req is not None, "the next command reaches the raw NF after the flood"):
        chan.answer(req[0], 0, b"pong")
    t.join()
    chk.eq(out.get("r"), (0, "pong"), "and its answer comes through")

    chk.section("an answer announced at 16 MiB, never finished")
    rss0 = rss_kib(core.pid)
    t, out = ask_later(core, raw.nf_id, b"ping", 2000)
    req = request_of(chan)
    if req is not None:
        chan.write(ctl.CTL_HDR.pack(ctl.CTL_MAGIC, req[0], 0, ctl.CTL_MAX_LEN) + b"x" * 4000)
    t.join()
    chk.eq((out.get("r") or (None,))[0], ETIMEDOUT, "-ETIMEDOUT")
    grew = rss_kib(core.pid) - rss0
    chk.ok(grew < 4096, f"the core's memory grew by {grew} KiB, not by 16 MiB")
    chk.eq(core.stats().get("cmd_broken", 0), 0, "no channel counted broken")
    bridge_answers(chk, core, bridge_id, "after it")

    chk.section(f"{FLAPS} raw NFs close with a command under way")
    got = []
    for _ in range(FLAPS):
        r = RawNf(core.sock, 4)
        r.set_state(rawnf.NF_RUNNING)
        t, o = ask_later(core, r.nf_id, b"ping", 10000)
        request_of(ctl.RawChannel(r), timeout=5)
        r.close()
        t.join()
        got.append((o.get("r") or (None,))[0])
    chk.eq(got, [ENOENT] * FLAPS, "each client gets -ENOENT")
    raw.close()
    ok, st = core.tel.wait_for(lambda s: s.get("nfs_attached") == 1, 10)
    chk.ok(ok, "only the bridge is left attached", f"nfs_attached={st.get('nfs_attached')}")
    bridge_answers(chk, core, bridge_id, "at the end")

    chk.section("shutdown")
    core.stop_checked(chk)
    bridge.stop(timeout=10)
    env.done(chk)


if __name__ == "__main__":
    main()
