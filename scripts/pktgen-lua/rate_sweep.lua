-- SPDX-License-Identifier: BSD-3-Clause
--
-- rate_sweep.lua: forwarded rate against offered rate (percent of the link),
-- 64-byte frames, then the highest rate without loss by binary search
-- (RFC 2544-style, not compliant unless NETVM_TRIAL_MS is 60000 and the
-- rig follows RFC 2544). Writes netvm-rate.csv in Pktgen's working folder.
--   pktgen -l 0-2 -n 4 -- -P -m "[1].0,[2].1" -f scripts/pktgen-lua/rate_sweep.lua

package.path = package.path .. ";scripts/pktgen-lua/?.lua;?.lua"
local nv = require("netvm_common")

local size = tonumber(os.getenv("NETVM_SIZE") or "64")
local rates = { 1, 5, 10, 20, 30, 50, 70, 90, 100 }

nv.setup()
local out = io.open("netvm-rate.csv", "w")
out:write("offered_pct,rx_pps_median,rx_pps_min,rx_pps_max,worst_loss\n")
for _, r in ipairs(rates) do
	nv.point(out, tostring(r), r, size)
end

-- Zero-loss search between 0 and 100 percent, one trial per step.
local lo, hi, best = 0, 100, 0
for _ = 1, tonumber(os.getenv("NETVM_SEARCH_STEPS") or "8") do
	local mid = (lo + hi) / 2
	local tx, rx = nv.trial(mid, size)
	if tx > 0 and rx >= tx then
		best, lo = mid, mid
	else
		hi = mid
	end
end
out:write(string.format("# zero-loss rate: %.2f %% of the link at %d B\n", best, size))
print(string.format("zero-loss rate: %.2f %% of the link at %d B", best, size))
out:close()
pktgen.quit()
