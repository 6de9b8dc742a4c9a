#!/usr/bin/env python3
"""budget_read: tests/fault/budget_unread.py's budget, full ring and trust
group's copy with core.rx_parse = "always": the core reads every frame, and a
burst whose frames all go to one instance of one queue is written straight
onto its rx ring (one_ring() in core/datapath.c), with the room on the ring
and in the budgets reserved, and the buffers marked, as for a stage.

  1. a hoarding raw NF holds exactly its budget, 600, the rest is dropped as
     nf_budget, the packets it took are exactly nf_rx; each descriptor it got
     has in_port 0 and its frame's flow hash (one per frame, not all 0) and
     points at the bytes of a frame of the pcap;
  2. a raw NF that takes nothing gets exactly one ring's worth, the rest is
     dropped as nf_ring_full;
  3. role 3 in its own trust group: copies, exactly 600 held;
  4. at exit: pools whole, rx_unread 0, no drop but nf_budget, nf_ring_full
     and no_instance.
"""

import budget_unread

if __name__ == "__main__":
    budget_unread.main("budget_read", "always", __doc__)
