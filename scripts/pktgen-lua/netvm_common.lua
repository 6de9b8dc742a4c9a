-- SPDX-License-Identifier: BSD-3-Clause
--
-- netvm_common.lua: shared set-up and measurement for the NetVM sweeps run
-- with Pktgen-DPDK on a separate generator machine (docs/benchmarks.md).
-- Pktgen port 0 sends towards the NetVM host's port 0; Pktgen port 1 receives
-- what netvm-l3fwd (or the bridge) sends back out of the host's port 1.
-- Edit the addresses below to match the rig, or set them before require().

local M = {}

M.tx_port = M.tx_port or "0"
M.rx_port = M.rx_port or "1"
-- The NetVM host's port 0 MAC (printed by netvm-core: "port 0: <driver> MAC ...").
M.dut_mac = os.getenv("NETVM_DUT_MAC") or "02:00:00:00:00:01"
M.src_ip = os.getenv("NETVM_SRC_IP") or "10.0.1.1/24"
M.dst_ip = os.getenv("NETVM_DST_IP") or "10.0.2.1"   -- routed by l3fwd to port 1
M.trial_ms = tonumber(os.getenv("NETVM_TRIAL_MS") or "10000")
M.settle_ms = 2000
M.trials = tonumber(os.getenv("NETVM_TRIALS") or "3")

-- Both ports stopped and cleared, UDP frames to the device under test.
function M.setup()
	pktgen.stop("all")
	pktgen.set_proto(M.tx_port, "udp")
	pktgen.set_mac(M.tx_port, "dst", M.dut_mac)
	pktgen.set_ipaddr(M.tx_port, "src", M.src_ip)
	pktgen.set_ipaddr(M.tx_port, "dst", M.dst_ip)
	pktgen.set(M.tx_port, "sport", 1024)
	pktgen.set(M.tx_port, "dport", 5001)
	pktgen.set(M.tx_port, "count", 0) -- send until stopped
	pktgen.clr()
end

-- One trial at RATE percent of the link with SIZE-byte frames; returns the
-- packets sent, received and the received rate in packets per second.
function M.trial(rate, size)
	pktgen.set(M.tx_port, "size", size)
	pktgen.set(M.tx_port, "rate", rate)
	pktgen.clr()
	pktgen.delay(500)
	pktgen.start(M.tx_port)
	pktgen.delay(M.trial_ms)
	pktgen.stop(M.tx_port)
	pktgen.delay(M.settle_ms) -- frames in flight arrive
	local st = pktgen.portStats("all", "port")
	local tx = st[tonumber(M.tx_port)]["opackets"]
	local rx = st[tonumber(M.rx_port)]["ipackets"]
	return tx, rx, rx * 1000 / M.trial_ms
end

-- Median of a list of numbers.
function M.median(t)
	table.sort(t)
	local n = #t
	if n % 2 == 1 then
		return t[(n + 1) / 2]
	end
	return (t[n / 2] + t[n / 2 + 1]) / 2
end

-- Repeat a trial; print one CSV line: label, median rx pps, min, max, worst loss.
function M.point(out, label, rate, size)
	local pps, worst = {}, 0
	for i = 1, M.trials do
		local tx, rx, r = M.trial(rate, size)
		pps[i] = r
		if tx > 0 and (tx - rx) / tx > worst then
			worst = (tx - rx) / tx
		end
	end
	local lo, hi = math.min(table.unpack(pps)), math.max(table.unpack(pps))
	local line = string.format("%s,%.0f,%.0f,%.0f,%.6f", label, M.median(pps), lo, hi, worst)
	out:write(line .. "\n")
	out:flush()
	print(line)
end

return M
