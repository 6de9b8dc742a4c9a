"""The test library shared by the functional, netns and fault test suites.

Modules, in the order a test uses them:
  env        command line, binaries, root/hugepage checks, cleanup on exit
  check      pass/fail bookkeeping and the final "N passed, M failed" line
  proc       the core engine and NF processes (process groups, timeouts)
  telemetry  DPDK telemetry client for the core's /netvm/stats counters
  traffic    scapy generation of the mixed input traffic
  model      the independent model of l3fwd (routes, flows, rewrites)
  pcaps      pcap files and packet-by-packet comparison
  pcaprun    one pcap replay through core + NFs, and the counter checks
  netns      network namespaces joined to the core by veth pairs
  capture    what a core port sends, captured on an inject pair
  twoport    a core on two inject pairs, sent to and captured frame by frame
  rawnf      a raw attacher speaking the attach protocol and ring ABI
  guest      the guest image of scripts/build-guest.sh and its accelerator
"""
