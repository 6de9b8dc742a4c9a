"""Traffic that keeps flowing while a test changes something, with no loss
allowed: a closed-loop sender.

Sender sends @frames into an Injector (nvtest.inject) batch after batch from
a thread, until stopped. A batch goes only when every frame of the last one
was taken by port 0 and left by one of @out_ports or was dropped (by the
core's counters), so no ring overflows however slow the machine is, and a
test may require that every frame sent comes out. If a batch is not through
within @timeout seconds the sender stops and keeps the last counters in
.stuck.
"""

import threading

from .telemetry import Telemetry, drops


class Sender:
    """Closed-loop sender of @frames into @inj; use it as a context manager."""

    def __init__(self, core, inj, frames, out_ports=(1,), timeout=10):
        self.inj, self.frames = inj, frames
        self.out_ports, self.timeout = tuple(out_ports), timeout
        self.tel = Telemetry(core.tel.path)
        self.stop = threading.Event()
        self.stuck = None
        self.batches = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _through(self, st):
        out = sum(st.get(f"port{p}_tx", 0) for p in self.out_ports) + sum(drops(st).values())
        return st.get("port0_rx", 0) >= self.inj.sent and out >= st.get("port0_rx", 0)

    def _run(self):
        while not self.stop.is_set():
            self.inj.send(self.frames)
            ok, st = self.tel.wait_for(self._through, self.timeout)
            if not ok:
                self.stuck = st
                return
            self.batches += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.tel.close()
