// click-router.click — a two-port IPv4 router with static routes, the
// configuration of `scripts/bench.sh click` (docs/benchmarks.md).
//
// It does what netvm-l3fwd does with configs/click-router.routes (the same
// three routes and next hops), so the two can be compared in one run:
//
//   netvm-click -r 1 -- -f configs/click-router.click --port eth0=0 --port eth1=1
//   netvm-l3fwd -r 1 -- --mode lpm --routes configs/click-router.routes
//
// No ARP: like Click's fake-iprouter.click, each route's next hop is an
// EtherEncap with fixed MAC addresses instead of an ARPQuerier. ToDevice
// pulls, as in Click, so each port has a Queue; netvm-click runs the
// ToDevice tasks at the end of every burst, which empties the queues before
// the burst is handed back to the core.

// The router's own addresses (source MACs of what leaves each port).
AddressInfo(eth0_mac 02:00:00:00:00:01, eth1_mac 02:00:00:00:00:02);

q0 :: Queue(1024) -> ToDevice(eth0);
q1 :: Queue(1024) -> ToDevice(eth1);

// Both ports feed one path. CheckIPHeader drops what is not a good IPv4
// header (version, lengths, checksum); GetIPAddress(16) puts the
// destination address in the annotation StaticIPLookup reads.
FromDevice(eth0) -> ip :: Strip(14);
FromDevice(eth1) -> ip;
ip -> CheckIPHeader -> GetIPAddress(16) -> rt :: StaticIPLookup(
	10.0.1.0/24 0,     // port 0, next hop 02:00:00:00:01:02
	10.0.2.0/24 1,     // port 1, next hop 02:00:00:00:02:02
	10.0.0.0/8  2);    // port 1, next hop 02:00:00:00:02:fe
// Packets to other destinations match no route and are dropped, as
// l3fwd drops them.

// Each next hop: TTL decremented (expired packets leave DecIPTTL's
// unconnected output 1 and are dropped), then the Ethernet header.
rt[0] -> DecIPTTL -> EtherEncap(0x0800, eth0_mac, 02:00:00:00:01:02) -> q0;
rt[1] -> DecIPTTL -> EtherEncap(0x0800, eth1_mac, 02:00:00:00:02:02) -> q1;
rt[2] -> DecIPTTL -> EtherEncap(0x0800, eth1_mac, 02:00:00:00:02:fe) -> q1;
